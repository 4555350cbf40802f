// SRP-6a as Cognito's USER_SRP_AUTH speaks it: the password never leaves the browser, only a proof that
// we know it. BigInt for the group arithmetic, WebCrypto for SHA-256, HKDF and HMAC.

// RFC 5054's 3072-bit group, which Cognito uses with g = 2.
const N_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
  "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
  "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
  "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
  "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
  "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
const N = BigInt(`0x${N_HEX}`);
const G = 2n;
const INFO = new TextEncoder().encode("Caldera Derived Key");
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// Hex of a positive number as Cognito hashes it: even length, and never read as negative.
export function padHex(value) {
  const hex = typeof value === "bigint" ? value.toString(16) : value;
  if (hex.length % 2) return `0${hex}`;
  return "89abcdefABCDEF".includes(hex[0]) ? `00${hex}` : hex;
}

function hexToBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function bytesToHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

async function hashHex(hex) {
  return BigInt(`0x${bytesToHex(await sha256(hexToBytes(hex)))}`);
}

function modPow(base, exponent, modulus) {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function randomBigInt(bytes) {
  return BigInt(`0x${bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)))}`);
}

// Cognito's TIMESTAMP: "Sun Nov 9 07:05:03 UTC 2026" (day of month not padded).
export function cognitoTimestamp(date = new Date()) {
  const two = (n) => String(n).padStart(2, "0");
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()} ` +
    `${time} UTC ${date.getUTCFullYear()}`
  );
}

// One sign-in's client secret `a`. `smallA` is for known-answer tests only.
export async function startSrp(smallA) {
  const k = await hashHex(padHex(N) + padHex(G));
  for (;;) {
    const a = smallA ?? randomBigInt(128) % N;
    const A = modPow(G, a, N);
    if (A % N !== 0n) return { a, A, k, srpA: A.toString(16) };
    if (smallA != null) throw new Error("SRP: A is zero");
  }
}

// PASSWORD_VERIFIER's answer: proves knowledge of the password for USER_ID_FOR_SRP.
export async function passwordClaim(session, { poolId, password, params, timestamp = cognitoTimestamp() }) {
  const poolName = poolId.split("_")[1];
  const userId = params.USER_ID_FOR_SRP;
  const B = BigInt(`0x${params.SRP_B}`);
  if (B % N === 0n) throw new Error("SRP: the server sent an invalid B");
  const u = await hashHex(padHex(session.A) + padHex(B));
  if (u === 0n) throw new Error("SRP: u is zero");
  const inner = bytesToHex(await sha256(new TextEncoder().encode(`${poolName}${userId}:${password}`)));
  const x = await hashHex(padHex(params.SALT) + inner);
  const base = B - session.k * modPow(G, x, N);
  const S = modPow(base, session.a + u * x, N);
  const ikm = await crypto.subtle.importKey("raw", hexToBytes(padHex(S)), "HKDF", false, ["deriveBits"]);
  const key = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: hexToBytes(padHex(u)), info: INFO },
      ikm,
      128,
    ),
  );
  const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const encoder = new TextEncoder();
  const message = concat(
    encoder.encode(poolName),
    encoder.encode(userId),
    Uint8Array.from(atob(params.SECRET_BLOCK), (char) => char.charCodeAt(0)),
    encoder.encode(timestamp),
  );
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, message));
  return {
    TIMESTAMP: timestamp,
    USERNAME: params.USERNAME,
    PASSWORD_CLAIM_SECRET_BLOCK: params.SECRET_BLOCK,
    PASSWORD_CLAIM_SIGNATURE: btoa(String.fromCharCode(...signature)),
  };
}
