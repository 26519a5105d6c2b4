/**
 * Building blocks of the ONNX graphs Slipway writes: a builder that keeps nodes and initializers
 * in insertion order (so identical models give identical bytes) and attribute helpers.
 */
import { onnx } from 'onnx-proto';
import { TrainingError } from '../errors';

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

/** Collects nodes and initializers in insertion order, which is already topological. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];

  node(opType: string, input: string[], output: string[], domain = '', attribute: onnx.IAttributeProto[] = []): void {
    this.nodes.push({ opType, domain, input, output, attribute, name: `${output[0]}/${opType}` });
  }

  /** Refuses inputs that share a name with an intermediate value, which would silently rewire the graph. */
  assertNoClash(inputs: string[]): void {
    const internal = new Set([...this.initializers.map((t) => t.name), ...this.nodes.flatMap((n) => n.output ?? [])]);
    const clash = inputs.find((name) => internal.has(name));
    if (clash !== undefined) {
      throw new TrainingError(`feature column "${clash}" clashes with a name the model uses internally; rename the column`, {
        details: { column: clash },
      });
    }
  }

  /** A float32 initializer (1-D unless `dims` is given), stored little-endian in raw_data. */
  floats(name: string, values: ArrayLike<number>, dims: number[] = [values.length]): void {
    const raw = new Uint8Array(values.length * 4);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, rawData: raw });
  }

  /** An int64 1-D initializer (e.g. a Reshape target), stored little-endian in raw_data. */
  int64s(name: string, values: number[]): void {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dataType: DataType.INT64, dims: [values.length], rawData: raw });
  }
}

export function tensorValueInfo(name: string, elemType: number, dims: (string | number)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export function intAttribute(name: string, i: number): onnx.IAttributeProto {
  return { name, type: AttributeType.INT, i };
}

export function intsAttribute(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: AttributeType.INTS, ints };
}

export function stringsAttribute(name: string, strings: string[]): onnx.IAttributeProto {
  const encoder = new TextEncoder();
  return { name, type: AttributeType.STRINGS, strings: strings.map((s) => encoder.encode(s)) };
}

