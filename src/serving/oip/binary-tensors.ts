/**
 * The binary tensor data extension of the Open Inference Protocol: tensors after the JSON
 * header, each `binary_data_size` bytes, little-endian; BYTES elements as a 4-byte length and
 * the bytes (the same layout gRPC's `raw_input_contents` uses).
 */

/** Tensor element types (bytes per element) a request may send; BYTES only to categorical inputs, the rest only to numeric ones. */
export const NUMERIC_TYPES = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP32: 4,
  FP64: 8,
} as const;
export type NumericType = keyof typeof NUMERIC_TYPES;
export type Datatype = NumericType | 'BYTES';

/** Reads tensors of the binary tensor data extension, in input order. */
export class BinaryReader {
  private offset = 0;
  constructor(private readonly buf: Buffer | undefined) {}

  get left(): number {
    return (this.buf?.length ?? 0) - this.offset;
  }

  get done(): boolean {
    return this.left === 0;
  }

  read(datatype: Datatype, size: number, count: number, at: string): Array<number | string | boolean> | string {
    if (size > this.left) return `${at}: binary_data_size ${size} runs past the ${this.left} binary bytes left`;
    const buf = this.buf!;
    const start = this.offset;
    this.offset += size;
    if (datatype === 'BYTES') {
      const out: string[] = [];
      let p = start;
      while (p < start + size) {
        if (p + 4 > start + size) return `${at}: BYTES element ${out.length} has a truncated length prefix`;
        const len = buf.readUInt32LE(p);
        p += 4;
        if (p + len > start + size) return `${at}: BYTES element ${out.length} runs past binary_data_size`;
        out.push(buf.toString('utf8', p, p + len));
        p += len;
      }
      return out;
    }
    const width = NUMERIC_TYPES[datatype];
    if (size !== count * width) return `${at}: ${count} ${datatype} values take ${count * width} bytes, binary_data_size is ${size}`;
    const out = new Array<number | boolean>(count);
    for (let i = 0, p = start; i < count; i++, p += width) out[i] = readNumber(buf, datatype, p);
    return out;
  }
}

function readNumber(buf: Buffer, datatype: NumericType, p: number): number | boolean {
  switch (datatype) {
    case 'BOOL':
      return buf[p] !== 0;
    case 'UINT8':
      return buf.readUInt8(p);
    case 'UINT16':
      return buf.readUInt16LE(p);
    case 'UINT32':
      return buf.readUInt32LE(p);
    case 'UINT64':
      return Number(buf.readBigUInt64LE(p));
    case 'INT8':
      return buf.readInt8(p);
    case 'INT16':
      return buf.readInt16LE(p);
    case 'INT32':
      return buf.readInt32LE(p);
    case 'INT64':
      return Number(buf.readBigInt64LE(p));
    case 'FP32':
      return buf.readFloatLE(p);
    case 'FP64':
      return buf.readDoubleLE(p);
  }
}
