import { createHash } from 'node:crypto'
import { compactVerify, EmbeddedJWK } from 'jose'
import { ratio, round, summary, trimmedMean } from '../lib/stats.js'
import { log, openVariant, sequentialRounds, spread } from './common.js'

/** Row 1's (b) and (c) on one API, and sw-bearer with a DPoP-bound token (d), all three in the same rounds. */
const VARIANTS = ['passthrough', 'bearer', 'dpop']
/** Requests the check sends after the rounds, each of which must carry a well-formed proof of its own. */
const CHECKED = 4

/**
 * 1d. What each API request costs when the token is DPoP-bound (issue 16): the page's getter returns
 * `{ token, type: 'DPoP', key }` with a non-extractable P-256 key it generated, and the same worker
 * (the size row's bytes) signs a fresh proof for every request, in its fetch slot. Beside it, row 1's
 * passthrough worker (b) and sw-bearer with a Bearer token (c), in the same shuffled rounds, so the
 * Bearer and DPoP c/b ratios meet the same machine. The API accepts `DPoP <token>` only with a proof
 * beside it; after the rounds, the proofs of a few requests are decoded and checked once.
 */
export async function perRequestDpop(env, { rounds, perRound, signs }) {
  const open = []
  try {
    for (const variant of VARIANTS) open.push(await openVariant(env, variant))
    const dpopAtStart = env.api.counts.dpop
    for (const { page } of open) await page.call('sequential', 50, 0) // warm connections, preflight cache, JIT

    const { times, failed, p50s } = await sequentialRounds(open, rounds, perRound)
    const roundRatios = {
      bearer: p50s.map((p) => ratio(p.bearer, p.passthrough)),
      dpop: p50s.map((p) => ratio(p.dpop, p.passthrough)),
      dpopOverBearer: p50s.map((p) => ratio(p.dpop, p.bearer)),
    }
    log(`  sequential: ${rounds} rounds × ${perRound} requests per variant`)
    // Every request of (d), warm-up included, reached the API as DPoP with a proof (else it got a 401).
    const dpopSent = 50 + rounds * (perRound + 3)
    const dpopAccepted = env.api.counts.dpop - dpopAtStart

    // What the row claims: sw-bearer sent the DPoP token with a fresh, well-formed proof each time.
    const dpopPage = open[VARIANTS.indexOf('dpop')].page
    const seen = env.api.watchProofs()
    let check
    try {
      check = await dpopPage.call('sequential', CHECKED, 0)
    } finally {
      env.api.unwatchProofs()
    }
    const proofs = await checkProofs(seen, env.apiURL, check.failed === 0 && seen.length === CHECKED)

    // Chromium's only, as in row 1: how resource timing saw the last DPoP request.
    const routing = env.engine === 'chromium' ? await dpopPage.call('routing', '/data') : null
    // What one signature costs in the page, with the same Web Crypto the worker signs with.
    const signing = await dpopPage.call('signCost', signs)

    const sequential = Object.fromEntries(VARIANTS.map((v) => [v, { ...summary(times[v]), trimmedMean: round(trimmedMean(times[v]), 3) }]))
    const { passthrough: b, bearer: c, dpop: d } = sequential
    return {
      sequential,
      failed,
      requestsAcceptedAsDpop: { sent: dpopSent, accepted: dpopAccepted, ok: dpopAccepted === dpopSent },
      proofs,
      signing,
      routing,
      ratios: {
        sequentialP50: { bearer: ratio(c.p50, b.p50), dpop: ratio(d.p50, b.p50), dpopOverBearer: ratio(d.p50, c.p50) },
        perRoundP50: {
          bearer: spread(roundRatios.bearer),
          dpop: spread(roundRatios.dpop),
          dpopOverBearer: spread(roundRatios.dpopOverBearer),
          rounds: roundRatios,
        },
        sequentialP90: { bearer: ratio(c.p90, b.p90), dpop: ratio(d.p90, b.p90) },
        trimmedMean: { bearer: ratio(c.trimmedMean, b.trimmedMean), dpop: ratio(d.trimmedMean, b.trimmedMean) },
        // What sw-bearer adds over the passthrough worker, in ms of trimmed mean; and DPoP over Bearer.
        addedMs: {
          bearer: round(c.trimmedMean - b.trimmedMean, 3),
          dpop: round(d.trimmedMean - b.trimmedMean, 3),
          dpopOverBearer: round(d.trimmedMean - c.trimmedMean, 3),
        },
      },
    }
  } finally {
    await Promise.all(open.map(({ context }) => context.close()))
  }
}

const b64json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

/**
 * The proofs the API accepted during the check, decoded (RFC 9449 §4.2): typ dpop+jwt, ES256, a
 * public P-256 `jwk` with nothing private, htm, htu (the URL without query), iat near now, ath (the
 * token's SHA-256), a jti of its own each, one key throughout; the last one's signature verified
 * with its embedded key. Not a resource server's full check (no nonce, no cnf.jkt): enough that the
 * row cannot pass on requests without a real proof.
 */
async function checkProofs(seen, apiURL, sent) {
  const problems = []
  const jtis = new Set()
  const keys = new Set()
  let last = null
  for (const { proof, token, method, url } of seen) {
    try {
      const [h, p] = proof.split('.')
      const header = b64json(h)
      const payload = b64json(p)
      last = { header, payload }
      if (header.typ !== 'dpop+jwt') problems.push(`typ ${header.typ}`)
      if (header.alg !== 'ES256') problems.push(`alg ${header.alg}`)
      if (header.jwk?.kty !== 'EC' || header.jwk?.crv !== 'P-256' || !header.jwk?.x || !header.jwk?.y) problems.push('jwk not a public P-256 key')
      if (header.jwk && 'd' in header.jwk) problems.push('jwk has the private key')
      keys.add(JSON.stringify(header.jwk))
      if (payload.htm !== method) problems.push(`htm ${payload.htm} for ${method}`)
      const target = new URL(url, apiURL)
      target.search = ''
      if (payload.htu !== target.href) problems.push(`htu ${payload.htu} for ${target.href}`)
      if (!Number.isInteger(payload.iat) || Math.abs(payload.iat - Date.now() / 1000) > 60) problems.push(`iat ${payload.iat}`)
      if (payload.ath !== createHash('sha256').update(token).digest('base64url')) problems.push('ath is not the token\'s')
      if (typeof payload.jti !== 'string' || !payload.jti || jtis.has(payload.jti)) problems.push(`jti ${payload.jti}`)
      jtis.add(payload.jti)
    } catch (error) {
      problems.push(`undecodable: ${error.message}`)
    }
  }
  let signatureVerified = false
  if (seen.length > 0) {
    try {
      await compactVerify(seen.at(-1).proof, EmbeddedJWK)
      signatureVerified = true
    } catch (error) {
      problems.push(`signature: ${error.message}`)
    }
  }
  if (keys.size > 1) problems.push(`${keys.size} keys`)
  const distinct = new Set(seen.map(({ proof }) => proof)).size
  return {
    checked: seen.length,
    distinct,
    signatureVerified,
    // The last proof, decoded: its header (typ, alg, public jwk) and claims, nothing secret in either.
    last,
    problems,
    ok: sent && seen.length === CHECKED && distinct === CHECKED && signatureVerified && problems.length === 0,
  }
}
