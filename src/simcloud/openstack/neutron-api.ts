/**
 * The face's network service: Neutron's version discovery and its one shared network, listed
 * (`GET /v2.0/networks`, filtered by `name` or `id`) and shown, so a site configured with a
 * network by name can resolve it to the id Nova takes.
 */
import type { KeystoneApi } from "./keystone-api.js";
import { json, OpenStackApiError, serve, type FaceRequest, type FaceResponse } from "./openstack-http.js";
import { NETWORKS, type Network } from "./openstack-resources.js";

/** Neutron v2.0 for the face. */
export class NeutronApi {
  constructor(private readonly keystone: KeystoneApi) {}

  /** Answers a request below `/network`; never throws. */
  handle(request: FaceRequest): Promise<FaceResponse> {
    return serve("network", request.base, () => this.#route(request));
  }

  #route(request: FaceRequest): FaceResponse {
    const path = request.path.replace(/\/+$/, "");
    if (request.method !== "GET") throw new OpenStackApiError(405, `The method ${request.method} is not allowed for this resource.`, "HTTPMethodNotAllowed");
    if (path === "") return json(200, { versions: [{ id: "v2.0", status: "CURRENT", links: [{ href: `${request.base}/network/v2.0/`, rel: "self" }] }] });
    this.keystone.authenticate(request.headers);
    if (path === "/v2.0/networks") {
      const names = request.query.getAll("name");
      const ids = request.query.getAll("id");
      const found = NETWORKS.filter((n) => (names.length === 0 || names.includes(n.name)) && (ids.length === 0 || ids.includes(n.id)));
      return json(200, { networks: found.map(view) });
    }
    const show = /^\/v2\.0\/networks\/([^/]+)$/.exec(path);
    if (show !== null) {
      const network = NETWORKS.find((n) => n.id === show[1]);
      if (network === undefined) throw new OpenStackApiError(404, `Network ${show[1]!.slice(0, 64)} could not be found.`, "NetworkNotFound");
      return json(200, { network: view(network) });
    }
    throw new OpenStackApiError(404, "The resource could not be found.", "HTTPNotFound");
  }
}

/** A network as Neutron shows it. */
function view(network: Network) {
  return {
    id: network.id,
    name: network.name,
    status: "ACTIVE",
    admin_state_up: true,
    shared: true,
    subnets: [network.subnetId],
    tenant_id: "",
    project_id: "",
    "router:external": false,
    mtu: 1450,
    port_security_enabled: true,
    availability_zones: ["nova"],
    availability_zone_hints: [],
    description: "",
    tags: [],
    is_default: true,
    revision_number: 1,
    created_at: "2024-01-15T10:00:00Z",
    updated_at: "2024-01-15T10:00:00Z",
  };
}
