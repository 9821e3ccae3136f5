/** The q-quantile (0..1) by linear interpolation between closest ranks. */
export function quantile(values, q) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

export const median = (values) => quantile(values, 0.5)

export const round = (value, digits = 2) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value)

/** p50 and p90 (ms) of a list of times. */
export function summary(times) {
  return { n: times.length, p50: round(quantile(times, 0.5), 3), p90: round(quantile(times, 0.9), 3) }
}

/**
 * The mean of the values between the `fraction` and 1 − `fraction` quantiles: less coarse than a
 * median of times that tick in 0.1 ms steps, and deaf to the few stalls a median ignores too.
 */
export function trimmedMean(values, fraction = 0.1) {
  const sorted = [...values].sort((a, b) => a - b)
  const cut = Math.floor(sorted.length * fraction)
  const kept = sorted.slice(cut, sorted.length - cut)
  return kept.length === 0 ? NaN : kept.reduce((sum, v) => sum + v, 0) / kept.length
}

export const ratio = (a, b) => round(a / b, 3)

/** Fisher–Yates on a copy: each round visits the variants in a fresh order. */
export function shuffled(list) {
  const out = [...list]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}
