/**
 * What the face's OpenStack offers every project, fixed: devstack's flavors `m1.tiny` …
 * `m1.large`, two public images and one shared network, so that `openstack flavor list`,
 * `openstack image list` and `server create` have something to launch with.
 */

/** A flavor, in Nova's units (MiB of RAM, GiB of disk). */
export interface Flavor {
  readonly id: string;
  readonly name: string;
  readonly ram: number;
  readonly vcpus: number;
  readonly disk: number;
}

/** A public image. */
export interface Image {
  readonly id: string;
  readonly name: string;
  readonly diskFormat: string;
  readonly size: number;
  readonly minDisk: number;
  readonly checksum: string;
  readonly createdAt: string;
}

/** A shared network, with the /16 its servers get addresses from. */
export interface Network {
  readonly id: string;
  readonly name: string;
  readonly subnetId: string;
  /** The first two octets of its addresses. */
  readonly prefix: string;
}

export const FLAVORS: readonly Flavor[] = [
  { id: "1", name: "m1.tiny", ram: 512, vcpus: 1, disk: 1 },
  { id: "2", name: "m1.small", ram: 2048, vcpus: 1, disk: 20 },
  { id: "3", name: "m1.medium", ram: 4096, vcpus: 2, disk: 40 },
  { id: "4", name: "m1.large", ram: 8192, vcpus: 4, disk: 80 },
];

export const IMAGES: readonly Image[] = [
  {
    id: "7f0a4b2e-5c1d-4e8f-9a3b-2d6c8e1f0a41",
    name: "cirros-0.6.2-x86_64-disk",
    diskFormat: "qcow2",
    size: 21430272,
    minDisk: 0,
    checksum: "c8fc807773e5354afe61636071771906",
    createdAt: "2024-01-15T10:00:00Z",
  },
  {
    id: "3b9d1c6a-8e2f-4a7b-b5c4-0f1e2d3c4b52",
    name: "ubuntu-24.04",
    diskFormat: "qcow2",
    size: 593690624,
    minDisk: 3,
    checksum: "0c6a1f7e6b1e2d3c4b5a69788796a5b4",
    createdAt: "2024-05-01T10:00:00Z",
  },
];

export const NETWORKS: readonly Network[] = [
  { id: "5a3c9e1f-2b4d-4c6e-8f0a-1b2c3d4e5f63", name: "public", subnetId: "9e8d7c6b-5a4f-4e3d-a2c1-b0a9f8e7d6c5", prefix: "10.42" },
];

/** A flavor by id. */
export function flavorById(id: string): Flavor | undefined {
  return FLAVORS.find((f) => f.id === id);
}

/** An image by id. */
export function imageById(id: string): Image | undefined {
  return IMAGES.find((i) => i.id === id);
}

/** A network by id. */
export function networkById(id: string): Network | undefined {
  return NETWORKS.find((n) => n.id === id);
}
