// Regenerates tests/data/whatwg_ipv4.json: how Node's WHATWG URL parser reads each host.
// Run: node tests/data/whatwg_ipv4.js > tests/data/whatwg_ipv4.json
// Each row: [host as written, hostname Node serialises, or null when the URL is invalid].
const fixed = [
  "127.0.0.1", "0177.0.0.1", "0x7f.0.0.1", "0x7f.1", "017700000001", "0x7f000001", "2130706433", "127.1",
  "127.0.1", "0177.1", "00177.0.0.1", "0x07f.0.0.1", "0X7F.0.0.1", "0x.0.0.1", "0.0.0.0", "0", "0x0", "00",
  "127.0.0.09", "127.0.0.08", "127.0.0.010", "08.0.0.1", "0x7g.0.0.1", "127.0.0.1.", "127.0.0.1..", "127..0.1",
  ".127.0.0.1", "127.0.0.256", "127.0.65535", "127.16777215", "127.16777216", "4294967295", "4294967296",
  "0xffffffff", "0x100000000", "037777777777", "040000000000", "1.2.3.4.5", "127.0.0.1.5", "foo.127", "127.foo",
  "127.0.0.1.nip.io", "0x", "0x7f.0x0.0x0.0x1", "0177.0000.0000.0001", "017700000001.", "1e2.0.0.1",
  "127.0.0.1e", "127.0.0.0x1", "00x7f.0.0.1", "0x0x7f.0.0.1", "-1.0.0.1", "127.-1", "2147483647", "2147483648",
  "2130706432", "0x80000000", "017777777777", "020000000000", "127.000000000000000001", "0x000000007f.1",
  "000000000000000000177.1", "12345678901234567890", "0x12345678901234567890", "255.255.255.255", "256.0.0.1",
  "127.255.255.255", "127.0.0.1.", "1.1", "0.1", "0x7f.0xffffff", "0x7f.0x1000000", "0177.077777777",
  "0177.0100000000",
];
// Seeded pseudo-random hosts made of the pieces URL parsers treat specially.
let seed = 4111;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const pieces = ["127", "0177", "0x7f", "0X7F", "0", "00", "0x", "1", "01", "08", "255", "0xff", "0377", "256",
  "65535", "16777215", "2130706433", "017700000001", "0x7f000001", "9", "010", "4294967295", ""];
const random = [];
for (let i = 0; i < 400; i++) {
  const parts = [];
  const n = 1 + rnd(5);
  for (let j = 0; j < n; j++) parts.push(pieces[rnd(pieces.length)]);
  random.push(parts.join(".") + (rnd(6) === 0 ? "." : ""));
}
const rows = [];
const seen = new Set();
for (const host of [...fixed, ...random]) {
  if (seen.has(host) || host === "") continue;
  seen.add(host);
  let out = null;
  try { out = new URL("http://" + host + "/").hostname; } catch (e) { out = null; }
  rows.push([host, out]);
}
process.stdout.write(JSON.stringify({ generator: "node " + process.version + " new URL(`http://${host}/`).hostname", rows }, null, 0).replace(/\],\[/g, "],\n[") + "\n");
