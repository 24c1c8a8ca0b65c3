/**
 * A delaying link for the NAT test, since this kernel has no netem: reads
 * every packet routed into the TUN device DEVICE (created by topology.sh)
 * and writes it back DELAY_MS later, in order; the kernel then routes it on.
 * Runs until killed. The TUN device is opened through libc (Deno's FFI):
 * Deno has no ioctl of its own.
 *
 * Usage: delay_link.ts DEVICE DELAY_MS
 */
const [device, delayText] = Deno.args;
const delayMs = Number(delayText);

/** ioctl request that attaches a file descriptor to a TUN device (linux/if_tun.h). */
const TUNSETIFF = 0x400454ca;
/** A layer-3 device, without the 4-byte packet-information header. */
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const O_RDWR = 2;
/** struct ifreq: a 16-byte name, then the flags (a short) in a 24-byte union. */
const IFREQ_SIZE = 40;
/** Larger than any packet the veths carry (MTU 1500). */
const MAX_PACKET = 65_536;

const libc = Deno.dlopen("libc.so.6", {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
});

const fd = libc.symbols.open(new TextEncoder().encode("/dev/net/tun\0"), O_RDWR);
if (fd < 0) throw new Error("cannot open /dev/net/tun");
const ifreq = new Uint8Array(IFREQ_SIZE);
ifreq.set(new TextEncoder().encode(device));
new DataView(ifreq.buffer).setUint16(16, IFF_TUN | IFF_NO_PI, true);
if (libc.symbols.ioctl(fd, BigInt(TUNSETIFF), ifreq) < 0) {
  throw new Error(`cannot attach to the TUN device ${device}`);
}
console.log("ready");

const buffer = new Uint8Array(MAX_PACKET);
while (true) {
  const n = Number(await libc.symbols.read(fd, buffer, BigInt(MAX_PACKET)));
  if (n <= 0) continue;
  const packet = buffer.slice(0, n);
  // Timers of one length fire in the order they were set: packets keep their order.
  setTimeout(() => libc.symbols.write(fd, packet, BigInt(packet.length)), delayMs);
}
