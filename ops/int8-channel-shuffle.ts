// Int8ChannelShuffle, default engine: Caffe2's wrapper (caffe2/operators/quantized/
// int8_channel_shuffle_op.h) around QNNPACK's qnnp_create/setup/run_channel_shuffle_nc_x8
// (src/channel-shuffle.c, x8zip kernels). The op derives from ConvPoolOpBase, so it inherits the
// conv/pool argument parsing and the "kernel > 0" check of its RunOnDevice, although it has no window.
import { Caffe2Error } from '../src/errors.js';
import type { OperatorSpec } from '../src/operator.js';
import { checkAllocation, Int8Tensor, shapeString } from '../src/tensor.js';
import { checkPassThroughQparams } from './int8-qparams.js';
import { CONV_POOL_ARG_KINDS, checkConvPoolKernel, parseConvPoolArgs } from './conv-pool-args.js';

/** What qnnp_create_channel_shuffle_nc_x8 freezes. */
export interface ChannelShufflePlan {
  groups: number;
  groupChannels: number;
}

/**
 * Each row of G·K bytes (one pixel's channels) becomes its K×G transpose:
 * y[k·G + g] = x[g·K + k].
 */
export function channelShuffleX8(plan: ChannelShufflePlan, x: Uint8Array, rows: number): Uint8Array {
  const { groups: g, groupChannels: k } = plan;
  const c = g * k;
  const y = new Uint8Array(rows * c);
  for (let r = 0; r < rows; r++) {
    const base = r * c;
    for (let gi = 0; gi < g; gi++) {
      for (let ki = 0; ki < k; ki++) y[base + ki * g + gi] = x[base + gi * k + ki]!;
    }
  }
  return y;
}

const spec: OperatorSpec = {
  type: 'Int8ChannelShuffle',
  engine: '',
  summary: 'NHWC uint8 channel shuffle over `group` groups (y[k·G+g] = x[g·K+k]); needs a kernel argument (e.g. kernel=1), as it inherits the conv/pool checks; Y keeps X\'s qparams',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { ...CONV_POOL_ARG_KINDS, Y_scale: 'f', Y_zero_point: 'i' },
  create({ def, args }) {
    const conv = parseConvPoolArgs(args, def.name ?? '');
    if (conv.order !== 'NHWC') {
      throw new Caffe2Error(`Int8ChannelShuffleOp only supports NHWC order (order is ${conv.order})`, {}, 'needs_feature');
    }
    let plan: ChannelShufflePlan | undefined;
    return {
      run(io) {
        checkConvPoolKernel(conv); // ConvPoolOpBase::RunOnDevice, before the op's own code
        const x = io.int8(0);
        const where = { blob: io.inputName(0) };
        // Y->t.ResizeLike(X.t) comes first.
        checkAllocation('uint8', x.dims, io.options.maxTensorBytes);
        checkPassThroughQparams(io, args, x);
        if (x.zeroPoint < 0 || x.zeroPoint > 255) {
          throw new Caffe2Error(`Check failed: the input zero point ${x.zeroPoint} must lie in [0, 255]`, where, 'fatal');
        }
        // X.t.dim32(3) enforces the index against the rank.
        if (x.ndim < 4) throw new Caffe2Error(`Exceeding ndim limit: dim 3 of an input of shape ${shapeString(x.dims)}`, where);
        const c = x.dims[3]!;
        const g = conv.group;
        // Caffe2 does not check these: C % 0 and numel / 0 trap, and a negative group reaches
        // QNNPACK as a huge size_t that it accepts.
        if (g === 0) throw new Caffe2Error('group 0: Caffe2 computes C % group and divides by zero', where, 'invalid');
        if (c % g !== 0) throw new Caffe2Error(`the channel count ${c} must be divisible by the group count ${g}`, where);
        if (g < 0) throw new Caffe2Error(`group ${g} is negative (Caffe2 does not check; QNNPACK reads it as a huge unsigned count)`, where, 'invalid');
        if (c === 0) throw new Caffe2Error(`the input ${shapeString(x.dims)} has 0 channels: Caffe2 computes numel / C and divides by zero`, where, 'invalid');
        // 5-D and larger inputs are shuffled as rows of C bytes (dim 3), exactly as upstream.
        const rows = x.size / c;
        if (!plan) {
          if (g <= 1) {
            throw new Caffe2Error(`failed to create QNNPACK channel shuffle operator: at least two groups are required, got group ${g}`, where);
          }
          plan = { groups: g, groupChannels: c / g };
        } else if (c !== plan.groups * plan.groupChannels) {
          throw new Caffe2Error(
            `input has ${c} channels, but this op created its QNNPACK channel shuffle operator on its first run for ${plan.groups * plan.groupChannels} (Caffe2 would reuse it with mismatched strides)`,
            where,
            'invalid',
          );
        }
        const xq = io.int8(0, 'uint8');
        // Batch 0: QNNPACK's setup accepts it and the run writes nothing.
        const y = channelShuffleX8(plan, xq.data as Uint8Array, rows);
        io.setOutput(0, new Int8Tensor(y, x.dims, x.scale, x.zeroPoint));
      },
    };
  },
};

export const int8ChannelShuffleOps: OperatorSpec[] = [spec];
