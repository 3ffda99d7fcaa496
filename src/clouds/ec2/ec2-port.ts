/**
 * The EC2 driver's port: only the three EC2 calls it makes, in the SDK's own input and output
 * types, so that unit tests stub the cloud without HTTP (as cluster-autoscaler's
 * `aws_wrapper.go` does). {@link sdkEc2Port} is the real one, over `@aws-sdk/client-ec2`.
 */
import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type DescribeInstancesRequest,
  type DescribeInstancesResult,
  type Reservation,
  type RunInstancesRequest,
  type TerminateInstancesRequest,
  type TerminateInstancesResult,
} from "@aws-sdk/client-ec2";

/** The EC2 calls the driver makes, for one set of credentials. */
export interface Ec2Port {
  runInstances(input: RunInstancesRequest): Promise<Reservation>;
  describeInstances(input: DescribeInstancesRequest): Promise<DescribeInstancesResult>;
  terminateInstances(input: TerminateInstancesRequest): Promise<TerminateInstancesResult>;
  /** Releases the port's connections; it is not used afterwards. */
  close(): void;
}

/** Where and as whom a port talks. */
export interface Ec2PortTarget {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Makes the port for one site and one set of credentials. */
export type Ec2PortFactory = (target: Ec2PortTarget) => Ec2Port;

/** How long a connection may take to open, and a request to be answered. */
const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The real port. `maxAttempts: 1`: the driver owns retrying. The SDK's own retries would repeat
 * `InsufficientInstanceCapacity` (EC2 sends it as a 500, a server fault to the SDK) and stack
 * their backoff under the driver's throttling backoff.
 */
export function sdkEc2Port(target: Ec2PortTarget): Ec2Port {
  const client = new EC2Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  });
  return {
    runInstances: (input) => client.send(new RunInstancesCommand(input)),
    describeInstances: (input) => client.send(new DescribeInstancesCommand(input)),
    terminateInstances: (input) => client.send(new TerminateInstancesCommand(input)),
    close: () => client.destroy(),
  };
}
