// A QR code of the authenticator setup link, so a phone can scan it instead of typing the key.
// Byte mode, error correction level M, versions 1-10 (up to 213 bytes: any otpauth:// link we make).
// Follows ISO/IEC 18004; tests/unit/test_portal_qr.py compares every module with segno's encoder.

const MAX_VERSION = 10;
// Level M, indexed by version: error-correction codewords per block, and the number of blocks.
const ECC_PER_BLOCK = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26];
const BLOCKS = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5];
const LEVEL_M_BITS = 0;

function rawDataModules(version) {
  let modules = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    modules -= (25 * align - 10) * align - 55;
    if (version >= 7) modules -= 36;
  }
  return modules;
}

function dataCodewords(version) {
  return Math.floor(rawDataModules(version) / 8) - ECC_PER_BLOCK[version] * BLOCKS[version];
}

function alignmentPositions(version, size) {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const positions = [6];
  for (let pos = size - 7; positions.length < count; pos -= step) positions.splice(1, 0, pos);
  return positions;
}

// Reed-Solomon over GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
function gfMultiply(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i -= 1) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

function rsDivisor(degree) {
  const result = new Array(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i += 1) {
    for (let j = 0; j < degree; j += 1) {
      result[j] = gfMultiply(result[j], root);
      if (j + 1 < degree) result[j] ^= result[j + 1];
    }
    root = gfMultiply(root, 2);
  }
  return result;
}

function rsRemainder(data, divisor) {
  const result = divisor.map(() => 0);
  for (const byte of data) {
    const factor = byte ^ result.shift();
    result.push(0);
    divisor.forEach((coefficient, i) => {
      result[i] ^= gfMultiply(coefficient, factor);
    });
  }
  return result;
}

function encodeData(bytes, version) {
  const bits = [];
  const push = (value, length) => {
    for (let i = length - 1; i >= 0; i -= 1) bits.push((value >>> i) & 1);
  };
  push(0b0100, 4);
  push(bytes.length, version <= 9 ? 8 : 16);
  for (const byte of bytes) push(byte, 8);
  const capacity = dataCodewords(version) * 8;
  push(0, Math.min(4, capacity - bits.length));
  push(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) push(pad, 8);
  const codewords = [];
  for (let i = 0; i < bits.length; i += 8) codewords.push(parseInt(bits.slice(i, i + 8).join(""), 2));
  return codewords;
}

// Splits into blocks, adds each block's error correction, and interleaves them.
function addErrorCorrection(data, version) {
  const blockCount = BLOCKS[version];
  const eccLength = ECC_PER_BLOCK[version];
  const raw = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = blockCount - (raw % blockCount);
  const shortLength = Math.floor(raw / blockCount) - eccLength;
  const divisor = rsDivisor(eccLength);
  const blocks = [];
  let offset = 0;
  for (let i = 0; i < blockCount; i += 1) {
    const length = shortLength + (i < shortBlocks ? 0 : 1);
    const block = data.slice(offset, offset + length);
    offset += length;
    blocks.push({ data: block, ecc: rsRemainder(block, divisor) });
  }
  const result = [];
  for (let i = 0; i <= shortLength; i += 1) {
    for (const block of blocks) if (i < block.data.length) result.push(block.data[i]);
  }
  for (let i = 0; i < eccLength; i += 1) for (const block of blocks) result.push(block.ecc[i]);
  return result;
}

const MASKS = [
  (r, c) => (r + c) % 2 === 0,
  (r) => r % 2 === 0,
  (r, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0,
  (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
  (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
];

class Grid {
  constructor(version) {
    this.version = version;
    this.size = version * 4 + 17;
    this.dark = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    this.fixed = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
  }

  set(row, col, dark) {
    this.dark[row][col] = dark;
    this.fixed[row][col] = true;
  }

  drawFunctionPatterns() {
    const { size } = this;
    for (let i = 0; i < size; i += 1) {
      this.set(6, i, i % 2 === 0);
      this.set(i, 6, i % 2 === 0);
    }
    for (const [row, col] of [
      [3, 3],
      [3, size - 4],
      [size - 4, 3],
    ]) {
      for (let dr = -4; dr <= 4; dr += 1) {
        for (let dc = -4; dc <= 4; dc += 1) {
          const r = row + dr;
          const c = col + dc;
          const distance = Math.max(Math.abs(dr), Math.abs(dc));
          if (r >= 0 && r < size && c >= 0 && c < size) this.set(r, c, distance !== 2 && distance !== 4);
        }
      }
    }
    const positions = alignmentPositions(this.version, size);
    const last = positions.length - 1;
    positions.forEach((row, i) => {
      positions.forEach((col, j) => {
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
        for (let dr = -2; dr <= 2; dr += 1) {
          for (let dc = -2; dc <= 2; dc += 1) {
            this.set(row + dr, col + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
          }
        }
      });
    });
    this.drawFormat(0);
    this.drawVersion();
  }

  drawFormat(mask) {
    const { size } = this;
    const data = (LEVEL_M_BITS << 3) | mask;
    let rem = data;
    for (let i = 0; i < 10; i += 1) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    const bits = ((data << 10) | rem) ^ 0x5412;
    const bit = (i) => ((bits >>> i) & 1) === 1;
    for (let i = 0; i <= 5; i += 1) this.set(i, 8, bit(i));
    this.set(7, 8, bit(6));
    this.set(8, 8, bit(7));
    this.set(8, 7, bit(8));
    for (let i = 9; i < 15; i += 1) this.set(8, 14 - i, bit(i));
    for (let i = 0; i < 8; i += 1) this.set(8, size - 1 - i, bit(i));
    for (let i = 8; i < 15; i += 1) this.set(size - 15 + i, 8, bit(i));
    this.set(size - 8, 8, true);
  }

  drawVersion() {
    if (this.version < 7) return;
    let rem = this.version;
    for (let i = 0; i < 12; i += 1) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (this.version << 12) | rem;
    for (let i = 0; i < 18; i += 1) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = this.size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      this.set(b, a, dark);
      this.set(a, b, dark);
    }
  }

  drawCodewords(codewords) {
    const { size } = this;
    let i = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let vertical = 0; vertical < size; vertical += 1) {
        for (let j = 0; j < 2; j += 1) {
          const col = right - j;
          const upward = ((right + 1) & 2) === 0;
          const row = upward ? size - 1 - vertical : vertical;
          if (!this.fixed[row][col] && i < codewords.length * 8) {
            this.dark[row][col] = ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
            i += 1;
          }
        }
      }
    }
  }

  applyMask(mask) {
    for (let r = 0; r < this.size; r += 1) {
      for (let c = 0; c < this.size; c += 1) {
        if (!this.fixed[r][c] && MASKS[mask](r, c)) this.dark[r][c] = !this.dark[r][c];
      }
    }
  }

  // The standard's four penalties: long runs, 2x2 blocks, finder look-alikes, dark/light imbalance.
  penalty() {
    const { size, dark } = this;
    const lines = [];
    for (let i = 0; i < size; i += 1) {
      lines.push(dark[i].map(Number).join(""));
      lines.push(dark.map((row) => Number(row[i])).join(""));
    }
    let score = 0;
    for (const line of lines) {
      for (const run of line.match(/0{5,}|1{5,}/g) || []) score += run.length - 2;
      score += 40 * ((line.match(/(?=10111010000|00001011101)/g) || []).length);
    }
    for (let r = 0; r < size - 1; r += 1) {
      for (let c = 0; c < size - 1; c += 1) {
        const v = dark[r][c];
        if (v === dark[r][c + 1] && v === dark[r + 1][c] && v === dark[r + 1][c + 1]) score += 3;
      }
    }
    const darkCount = dark.flat().filter(Boolean).length;
    score += 10 * Math.floor(Math.abs((darkCount * 100) / (size * size) - 50) / 5);
    return score;
  }
}

// The modules (true = dark), without the quiet zone; null if the text is too long for version 10.
export function qrMatrix(text, { mask } = {}) {
  const bytes = new TextEncoder().encode(text);
  const fits = (version) => 4 + (version <= 9 ? 8 : 16) + bytes.length * 8 <= dataCodewords(version) * 8;
  let version = 1;
  while (version <= MAX_VERSION && !fits(version)) version += 1;
  if (version > MAX_VERSION) return null;
  const codewords = addErrorCorrection(encodeData(bytes, version), version);
  const build = (chosen) => {
    const grid = new Grid(version);
    grid.drawFunctionPatterns();
    grid.drawCodewords(codewords);
    grid.applyMask(chosen);
    grid.drawFormat(chosen);
    return grid;
  };
  if (mask != null) return { version, mask, modules: build(mask).dark };
  let best = null;
  for (let candidate = 0; candidate < MASKS.length; candidate += 1) {
    const grid = build(candidate);
    const score = grid.penalty();
    if (best === null || score < best.score) best = { score, mask: candidate, grid };
  }
  return { version, mask: best.mask, modules: best.grid.dark };
}

// An SVG element (built as DOM, so the page's CSP needs no inline markup or styles).
export function qrSvg(text, { pixels = 200, label }) {
  const code = qrMatrix(text);
  if (!code) return null;
  const quiet = 4;
  const extent = code.modules.length + quiet * 2;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${extent} ${extent}`);
  svg.setAttribute("width", String(pixels));
  svg.setAttribute("height", String(pixels));
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(ns, "rect");
  background.setAttribute("width", String(extent));
  background.setAttribute("height", String(extent));
  background.setAttribute("fill", "#fff");
  const path = document.createElementNS(ns, "path");
  const steps = [];
  code.modules.forEach((row, r) => {
    row.forEach((dark, c) => {
      if (dark) steps.push(`M${c + quiet} ${r + quiet}h1v1h-1z`);
    });
  });
  path.setAttribute("d", steps.join(""));
  path.setAttribute("fill", "#000");
  svg.append(background, path);
  return svg;
}
