// Int8RoIAlign, default engine (caffe2/operators/quantized/int8_roi_align_op.h): RoIAlign over an
// NHWC uint8 feature map. Bilinear weights are quantized to uint8 (x255), the per-bin sum is an
// int32 accumulator, and the result is requantized with gemmlowp's fixed-point multiply, using
// a multiplier computed in double per RoI. The output scale and zero point come from the
// Y_scale / Y_zero_point arguments.
import { Caffe2Error, enforce } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import { f32, roundHalfEven } from '../src/quant/float32.js';
import { multiplyByQuantizedMultiplierSmallerThanOne, quantizeMultiplierSmallerThanOne } from '../src/quant/gemmlowp.js';
import { checkAllocation, Int8Tensor, shapeString } from '../src/tensor.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** sizeof(PreCalc) upstream: four int positions and four uint8 weights. */
const PRECALC_BYTES = 20;

interface Sample {
  pos1: number;
  pos2: number;
  pos3: number;
  pos4: number;
  w1: number;
  w2: number;
  w3: number;
  w4: number;
}

const EMPTY_SAMPLE: Sample = { pos1: 0, pos2: 0, pos3: 0, pos4: 0, w1: 0, w2: 0, w3: 0, w4: 0 };

/** uint8 bilinear weight: nearbyint of a float product times 255.0f (int8_roi_align_op.h pre_calc). */
function weight(a: number, b: number): number {
  return roundHalfEven(f32(f32(a * b) * 255));
}

/**
 * One sampling point, in float32 as pre_calc_for_bilinear_interpolate computes it: points
 * outside [-1, H] x [-1, W] get zero weights; others are clamped at 0 and snapped to the last
 * row/column at the far edge.
 */
function samplePoint(yIn: number, xIn: number, height: number, width: number): Sample {
  let y = yIn;
  let x = xIn;
  if (y < -1 || y > height || x < -1 || x > width) return EMPTY_SAMPLE;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let yLow = Math.trunc(y);
  let xLow = Math.trunc(x);
  let yHigh: number;
  let xHigh: number;
  if (yLow >= height - 1) {
    yHigh = yLow = height - 1;
    y = yLow;
  } else {
    yHigh = yLow + 1;
  }
  if (xLow >= width - 1) {
    xHigh = xLow = width - 1;
    x = xLow;
  } else {
    xHigh = xLow + 1;
  }
  const ly = f32(y - yLow);
  const lx = f32(x - xLow);
  // `1. - ly` is a double subtraction stored into a float.
  const hy = f32(1 - ly);
  const hx = f32(1 - lx);
  return {
    pos1: yLow * width + xLow,
    pos2: yLow * width + xHigh,
    pos3: yHigh * width + xLow,
    pos4: yHigh * width + xHigh,
    w1: weight(hy, hx),
    w2: weight(hy, lx),
    w3: weight(ly, hx),
    w4: weight(ly, lx),
  };
}

function invalid(io: OpIO, i: number, reason: string): Caffe2Error {
  return new Caffe2Error(reason, { blob: io.inputName(i) }, 'invalid');
}

export const int8RoiAlign: OperatorSpec = {
  type: 'Int8RoIAlign',
  engine: '',
  summary: 'RoIAlign on NHWC uint8 (R as float (R,4)/(R,5)); uint8 bilinear weights, gemmlowp fixed-point requantization to Y_scale/Y_zero_point',
  schema: { minInputs: 2, maxInputs: 2, minOutputs: 1, maxOutputs: 1 },
  argKinds: {
    order: 's', spatial_scale: 'f', pooled_h: 'i', pooled_w: 'i', sampling_ratio: 'i', aligned: 'i',
    Y_scale: 'f', Y_zero_point: 'i',
  },
  create({ args }) {
    // Read in the constructor's order.
    const order = args.getString('order', 'NHWC');
    const spatialScale = f32(args.getFloat('spatial_scale', 1));
    const pooledH = args.getInt('pooled_h', 1);
    const pooledW = args.getInt('pooled_w', 1);
    const samplingRatio = args.getInt('sampling_ratio', -1);
    // `aligned` (continuous coordinates) exists in the final version of the op.
    const aligned = args.getBool('aligned', false);
    // StringToStorageOrder matches "NHWC"/"NCHW" exactly; anything else is UNKNOWN.
    enforce(order === 'NHWC', `Int8RoIAlign only supports order NHWC, got "${order}"`);
    // Caffe2 only DCHECKs these (compiled out in release builds); we refuse them. Its
    // DCHECK_GE(sampling_ratio, 0) is not mirrored: the default -1 (adaptive) would fail it.
    if (!(spatialScale > 0 && Number.isFinite(spatialScale))) {
      throw new Caffe2Error(`spatial_scale must be positive and finite, got ${spatialScale} (Caffe2 only DCHECKs this)`, {}, 'invalid');
    }
    if (!(pooledH > 0 && pooledW > 0)) {
      throw new Caffe2Error(`pooled_h and pooled_w must be positive, got ${pooledH} and ${pooledW} (Caffe2 only DCHECKs this)`, {}, 'invalid');
    }
    return {
      run(io) {
        const x = io.int8(0);
        const r = io.tensor(1);
        const yZeroPoint = args.getInt('Y_zero_point', 0);
        const yScale = f32(args.getFloat('Y_scale', 1));

        // X.t.dim32(3) throws when X has fewer than 4 dims.
        const channelsOf = (): number => {
          if (x.ndim < 4) throw new Caffe2Error(`Exceeding ndim limit: the input has shape ${shapeString(x.dims)}, Int8RoIAlign reads dim 3 (NHWC channels)`, { blob: io.inputName(0) });
          return x.dims[3]!;
        };

        if (r.size === 0) {
          const dims = [0, pooledH, pooledW, channelsOf()];
          io.setOutput(0, new Int8Tensor(new Uint8Array(0), dims, yScale, yZeroPoint));
          return;
        }
        enforce(r.ndim === 2, () => `RoIs must be 2-D, got shape ${shapeString(r.dims)}`, { blob: io.inputName(1) });
        const cols = r.dims[1]!;
        enforce(cols === 4 || cols === 5, () => `RoIs must have 4 or 5 columns, got shape ${shapeString(r.dims)}`, { blob: io.inputName(1) });
        const numRois = r.dims[0]!;
        const channels = channelsOf();
        if (x.ndim !== 4) throw invalid(io, 0, `the input must be 4-D NHWC, got shape ${shapeString(x.dims)} (Caffe2 does not check)`);
        const outDims = [numRois, pooledH, pooledW, channels];
        const outCount = checkAllocation('uint8', outDims, io.options.maxTensorBytes);
        if (x.dtype !== 'uint8') {
          throw new Caffe2Error(`Tensor type mismatch, caller expects elements of uint8, while tensor contains ${x.dtype}`, { blob: io.inputName(0) });
        }
        if (r.dtype !== 'float32') {
          throw new Caffe2Error(`Tensor type mismatch, caller expects elements of float, while tensor contains ${r.dtype}`, { blob: io.inputName(1) });
        }
        const [batch, height, width] = x.dims as [number, number, number, number];
        // Caffe2 divides the output size by the channel count (a crash for C = 0) and reads
        // pixel 0 of the RoI's image even for empty samples; it checks neither.
        if (channels === 0) throw invalid(io, 0, 'the input has 0 channels (Caffe2 divides by the channel count and crashes)');
        if (height === 0 || width === 0) throw invalid(io, 0, `the input has zero height or width, shape ${shapeString(x.dims)} (Caffe2 reads out of bounds)`);

        const xData = x.data as Uint8Array;
        const rois = r.data as Float32Array;
        const out = new Uint8Array(outCount);
        const xOffset255 = x.zeroPoint * 255;
        const roiOffset = aligned ? 0.5 : 0;
        // One double accumulator per channel (a hostile channel count must not allocate more).
        checkAllocation('float64', [channels], io.options.maxTensorBytes);
        const acc = new Float64Array(channels);
        let work = 0;

        for (let n = 0; n < numRois; n++) {
          let base = n * cols;
          let batchIndex = 0;
          let batchValue = 0;
          if (cols === 5) {
            batchValue = rois[base]!;
            // float -> int truncation; NaN or out-of-range is undefined behaviour upstream.
            if (!(Math.abs(batchValue) < 2147483648)) throw invalid(io, 1, `RoI ${n} has batch index ${batchValue}, which does not convert to int`);
            batchIndex = Math.trunc(batchValue);
            base += 1;
          }
          const startW = f32(f32(rois[base]! * spatialScale) - roiOffset);
          const startH = f32(f32(rois[base + 1]! * spatialScale) - roiOffset);
          const endW = f32(f32(rois[base + 2]! * spatialScale) - roiOffset);
          const endH = f32(f32(rois[base + 3]! * spatialScale) - roiOffset);
          let roiW = f32(endW - startW);
          let roiH = f32(endH - startH);
          if (aligned) {
            enforce(roiW >= 0 && roiH >= 0, 'ROIs in ROIAlign do not have non-negative size!', { blob: io.inputName(1) });
          } else {
            // Malformed RoIs are forced to at least 1x1 (std::max keeps NaN).
            if (roiW < 1) roiW = 1;
            if (roiH < 1) roiH = 1;
          }
          if (![startW, startH, endW, endH, roiW, roiH].every(Number.isFinite)) {
            throw invalid(io, 1, `RoI ${n} has a non-finite coordinate or size after scaling (float -> int conversion of NaN/inf is undefined behaviour upstream)`);
          }
          const binH = f32(roiH / pooledH);
          const binW = f32(roiW / pooledW);
          const gridH = samplingRatio > 0 ? samplingRatio : Math.ceil(binH);
          const gridW = samplingRatio > 0 ? samplingRatio : Math.ceil(binW);
          if (gridH > INT32_MAX || gridW > INT32_MAX || gridH * gridW > INT32_MAX) {
            throw invalid(io, 1, `RoI ${n} needs a ${gridH}x${gridW} sampling grid per bin, which overflows int (undefined behaviour upstream)`);
          }
          // `const float count = grid_h * grid_w`, then the multiplier in double.
          const count = f32(gridH * gridW);
          const realMultiplier = x.scale / (yScale * 255 * count);
          let q: { multiplier: number; shift: number };
          try {
            q = quantizeMultiplierSmallerThanOne(realMultiplier);
          } catch (e) {
            if (e instanceof Caffe2Error) {
              throw new Caffe2Error(
                `${e.reason}: RoI ${n} multiplier X.scale / (Y_scale * 255 * ${count} samples) = ${x.scale} / (${yScale} * 255 * ${count}) must lie in [0, 1)`,
                { blob: io.inputName(0) },
                e.kind,
              );
            }
            throw e;
          }
          if (q.shift > 31) {
            throw invalid(io, 0, `RoI ${n} multiplier ${realMultiplier} needs a right shift of ${q.shift} > 31 (gemmlowp only asserts this)`);
          }
          const samplesPerRoi = gridH * gridW * pooledH * pooledW;
          if (samplesPerRoi > INT32_MAX) {
            throw invalid(io, 1, `RoI ${n} has ${samplesPerRoi} sampling points, which overflows int (undefined behaviour upstream)`);
          }
          // Caffe2 allocates a PreCalc per sampling point; refuse what would exceed the tensor limit.
          if (samplesPerRoi * PRECALC_BYTES > io.options.maxTensorBytes) {
            throw invalid(io, 1, `RoI ${n} needs ${samplesPerRoi} sampling points (a ${gridH}x${gridW} grid per bin), whose table of ${samplesPerRoi * PRECALC_BYTES} bytes is over the limit of ${io.options.maxTensorBytes}`);
          }
          // The work so far plus this RoI's (each sample: its weights, then four multiply-adds per channel).
          work += samplesPerRoi * (1 + 4 * channels);
          checkOpWork(io.options, work, () => `RoI ${n} (${samplesPerRoi} sampling points of ${channels} channels)${n > 0 ? ` with the ${n} RoIs before it` : ''}`);
          if (!(batchIndex >= 0 && batchIndex < batch)) {
            throw invalid(io, 1, `RoI ${n} has batch index ${batchValue}, outside the input's batch of ${batch} (Caffe2 reads out of bounds)`);
          }
          const imageBase = batchIndex * height * width * channels;
          const gridHf = f32(gridH);
          const gridWf = f32(gridW);
          for (let ph = 0; ph < pooledH; ph++) {
            for (let pw = 0; pw < pooledW; pw++) {
              acc.fill(0);
              for (let iy = 0; iy < gridH; iy++) {
                // roi_start_h + ph*bin_h + (iy + .5f)*bin_h/grid_h, each step in float.
                const yy = f32(f32(startH + f32(ph * binH)) + f32(f32(f32(iy + 0.5) * binH) / gridHf));
                for (let ix = 0; ix < gridW; ix++) {
                  const xx = f32(f32(startW + f32(pw * binW)) + f32(f32(f32(ix + 0.5) * binW) / gridWf));
                  const s = samplePoint(yy, xx, height, width);
                  const p1 = imageBase + s.pos1 * channels;
                  const p2 = imageBase + s.pos2 * channels;
                  const p3 = imageBase + s.pos3 * channels;
                  const p4 = imageBase + s.pos4 * channels;
                  for (let c = 0; c < channels; c++) {
                    // Four uint32 products added with int32 wraparound, then the zero-point
                    // term subtracted in double and converted back to int32.
                    let a = acc[c]!;
                    a = (a + s.w1 * xData[p1 + c]!) | 0;
                    a = (a + s.w2 * xData[p2 + c]!) | 0;
                    a = (a + s.w3 * xData[p3 + c]!) | 0;
                    a = (a + s.w4 * xData[p4 + c]!) | 0;
                    a -= xOffset255;
                    if (a < INT32_MIN || a > INT32_MAX) {
                      throw invalid(io, 0, `RoI ${n} accumulator ${a} leaves int32 (a double -> int conversion out of range, undefined behaviour upstream)`);
                    }
                    acc[c] = a;
                  }
                }
              }
              const outBase = ((n * pooledH + ph) * pooledW + pw) * channels;
              for (let c = 0; c < channels; c++) {
                const v = multiplyByQuantizedMultiplierSmallerThanOne(acc[c]!, q.multiplier, q.shift) + yZeroPoint;
                if (v < INT32_MIN || v > INT32_MAX) {
                  throw invalid(io, 0, `output ${v} overflows int32 with Y_zero_point ${yZeroPoint} (undefined behaviour upstream)`);
                }
                out[outBase + c] = v < 0 ? 0 : v > 255 ? 255 : v;
              }
            }
          }
        }
        io.setOutput(0, new Int8Tensor(out, outDims, yScale, yZeroPoint));
      },
    };
  },
};

export const int8RoiAlignOps: OperatorSpec[] = [int8RoiAlign];
