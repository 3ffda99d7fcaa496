/** Signs one Query request with SigV4 the way the AWS SDK does, for benchmarks. */
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/core/serde";
import type { SourceData } from "@smithy/types";

class Sha256 extends Hash {
  constructor(secret?: SourceData) {
    super("sha256", secret);
  }
}

/**
 * Headers (including Authorization) for a Query POST of `body` to `url`, signed now.
 *
 * @param service - the SigV4 service name: `autoscaling` (the default) for the Auto Scaling
 *   API, `monitoring` for CloudWatch.
 */
export async function signedPost(
  url: string,
  body: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  service = "autoscaling",
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service,
    region: "us-east-1",
    credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const { host } = new URL(url);
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: host.split(":")[0]!,
    port: Number(host.split(":")[1]),
    path: "/",
    query: {},
    headers: { host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
  });
  return signed.headers as Record<string, string>;
}
