/**
 * The face's image service: Glance v2's version discovery and the public images of
 * `openstack-resources.ts`, listed (`GET /v2/images`, filtered by `name`, paged with `limit`
 * and `marker`) and shown. Drivers resolve an image name to its id here; `openstack image
 * list` and `server create --image NAME` read it too.
 */
import type { KeystoneApi } from "./keystone-api.js";
import { json, OpenStackApiError, serve, type FaceRequest, type FaceResponse } from "./openstack-http.js";
import { IMAGES, type Image } from "./openstack-resources.js";

/** Query parameters that filter or page; any other is an image property, which no image here has. */
const KNOWN_PARAMS = new Set(["name", "visibility", "status", "limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "os_hidden", "owner", "tag"]);
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;

/** Glance v2 for the face. */
export class GlanceApi {
  constructor(private readonly keystone: KeystoneApi) {}

  /** Answers a request below `/image`; never throws. */
  handle(request: FaceRequest): Promise<FaceResponse> {
    return serve("image", request.base, () => this.#route(request));
  }

  #route(request: FaceRequest): FaceResponse {
    const path = request.path.replace(/\/+$/, "");
    if (request.method !== "GET") throw new OpenStackApiError(405, `The method ${request.method} is not allowed for this resource.`);
    if (path === "" || path === "/versions") {
      return json(300, { versions: [{ id: "v2.16", status: "CURRENT", links: [{ rel: "self", href: `${request.base}/image/v2/` }] }] });
    }
    this.keystone.authenticate(request.headers);
    if (path === "/v2/images") return list(request.query);
    const show = /^\/v2\/images\/([^/]+)$/.exec(path);
    if (show !== null) {
      const image = IMAGES.find((i) => i.id === show[1]);
      if (image === undefined) throw new OpenStackApiError(404, `No image found with ID ${show[1]!.slice(0, 64)}`);
      return json(200, view(image));
    }
    throw new OpenStackApiError(404, "The resource could not be found.");
  }
}

function list(query: URLSearchParams): FaceResponse {
  const byProperty = [...query.keys()].some((key) => !KNOWN_PARAMS.has(key));
  let images = byProperty ? [] : [...IMAGES];
  const name = query.get("name");
  if (name !== null) images = images.filter((i) => i.name === name);
  const visibility = query.get("visibility");
  if (visibility !== null && visibility !== "public" && visibility !== "all") images = [];
  const status = query.get("status");
  if (status !== null && status !== "active") images = [];
  const limitParam = query.get("limit");
  if (limitParam !== null && !/^\d{1,9}$/.test(limitParam)) throw new OpenStackApiError(400, "limit param must be an integer");
  const limit = Math.min(limitParam === null ? DEFAULT_LIMIT : Number(limitParam), MAX_LIMIT);
  const marker = query.get("marker");
  let start = 0;
  if (marker !== null) {
    start = images.findIndex((i) => i.id === marker) + 1;
    if (start === 0) throw new OpenStackApiError(400, `marker ${marker.slice(0, 64)} not found`);
  }
  const page = images.slice(start, start + limit);
  const first = new URLSearchParams(query);
  first.delete("marker");
  const body: Record<string, unknown> = { images: page.map(view), schema: "/v2/schemas/images", first: `/v2/images?${first}` };
  if (page.length > 0 && page.length === limit) {
    const next = new URLSearchParams(query);
    next.set("marker", page[page.length - 1]!.id);
    body.next = `/v2/images?${next}`;
  }
  return json(200, body);
}

/** An image as Glance v2 shows it. */
function view(image: Image) {
  return {
    id: image.id,
    name: image.name,
    status: "active",
    visibility: "public",
    protected: false,
    os_hidden: false,
    tags: [],
    container_format: "bare",
    disk_format: image.diskFormat,
    size: image.size,
    virtual_size: null,
    min_disk: image.minDisk,
    min_ram: 0,
    checksum: image.checksum,
    owner: "",
    created_at: image.createdAt,
    updated_at: image.createdAt,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: "/v2/schemas/image",
  };
}
