import { ratio } from './stats.js'

/** Prints the results as plain-text tables, one per question, with the targets beside them. */
export function printTable(results) {
  const out = []
  const { machine: m } = results
  out.push(`sw-bearer bench · ${results.date} · commit ${results.commit}${results.dirty ? ' (+ local changes)' : ''}`)
  const ff = results.firefox
  const engines = [
    m.chromium && `Chromium ${m.chromium} · driver ${results.config.driver}`,
    ff && `Firefox ${ff.version} · driver ${ff.driver} (load average at its start ${ff.loadAverageAtStart.join(', ')})`,
  ]
  out.push(`${m.cores} × ${m.cpu}, ${m.memoryGB} GB · ${m.os} · Node ${m.node}`)
  out.push(engines.filter(Boolean).join(', then '))
  out.push(`load average (1, 5, 15 min) at start ${m.loadAverageAtStart.join(', ')}, at end ${m.loadAverageAtEnd.join(', ')} · ${results.durationSeconds} s`)
  out.push(`Times are page-side (performance.now) fetch round trips in ms; compare ratios within this run only${ff ? ', and within one engine' : ''}.`)

  if (results.perRequest) perRequestRows(out, results.perRequest, '1.', results)
  if (results.perRequestResources) perRequestResourcesRows(out, results.perRequestResources, '1r.', results, results.perRequest)
  if (results.perRequestDpop) perRequestDpopRows(out, results.perRequestDpop, '1d.', results)

  const na = results.nonApi
  if (na) {
    const s = na.sequential
    out.push('', `2. Same-origin asset, not an API request (${s.noWorker.n} sequential per variant)`)
    out.push(
      table(
        ['', 'no SW', 'passthrough SW', 'SW with only a static route', 'sw-bearer (default)', 'sw-bearer, routeOthersToNetwork', 'default / passthrough', 'default / no SW', 'routeOthersToNetwork / no SW'],
        [
          ['p50', s.noWorker.p50, s.passthrough.p50, s.routed.p50, s.bearer.p50, s.bearerRouted?.p50, na.ratios.bearerOverPassthroughP50, na.ratios.bearerOverNoWorkerP50, na.ratios.bearerRoutedOverNoWorkerP50],
          ['p90', s.noWorker.p90, s.passthrough.p90, s.routed.p90, s.bearer.p90, s.bearerRouted?.p90, ratio(s.bearer.p90, s.passthrough.p90), na.ratios.bearerOverNoWorkerP90, ratio(s.bearerRouted?.p90, s.noWorker.p90)],
        ],
      ),
    )
    out.push(`   routing of an asset (resource timing) under sw-bearer: ${JSON.stringify(na.routing)}, with routeOthersToNetwork: ${JSON.stringify(na.bearerRoutedRouting)}, under the static-route SW: ${JSON.stringify(na.routedRouting)} · failed: ${na.failed}`)
  }

  if (results.storm) stormRows(out, results.storm, '3.', results)

  const ro = results.rotation
  if (ro) {
    out.push('', `3b. Refresh storm, rotating refresh tokens: real OpenID Provider (reuse revokes the grant), oidc-client-ts, ${ro.tabs} tabs × ${ro.perTab} requests, every token the API saw revoked`)
    const each = (v, pick) => v.runs.map(pick).join(', ')
    const row = (name, v, target) => [
      name,
      target ? mark(each(v, (r) => r.tokenCalls), v.runs.every((r) => r.tokenCalls === target)) : each(v, (r) => r.tokenCalls),
      each(v, (r) => r.refreshOk),
      each(v, (r) => r.invalidGrant),
      each(v, (r) => r.grantRevoked),
      each(v, (r) => `${r.signedOutTabs}/${ro.tabs}`),
      each(v, (r) => `${r.okSeenByApp}/${r.unauthorizedSeenByApp}`),
      v.medianTimeToLastResponseMs,
    ]
    out.push(
      table(
        ['(each run)', 'token-endpoint calls', 'refresh_token OK', 'invalid_grant', 'grants revoked', 'tabs signed out after', 'app 200s/401s', 'time to last response, median'],
        [row('per-tab SDK refresh (signinSilent on 401)', ro.sdk), row('sw-bearer + fromOidcClient', ro.bearer, results.targets.rotationTokenCalls)],
      ),
    )
    out.push(`   baseline signinSilent calls per tab (last run): ${ro.sdk.runs.at(-1).refreshesStartedPerTab.join(', ')} · signed out means a forced signinSilent() afterwards fails: ${JSON.stringify(ro.sdk.runs.at(-1).probeErrors)}`)
  }

  const cs = results.coldStart
  if (cs) {
    out.push('', `4. Cold start: first API request after the browser stopped the worker (median of ${cs.bearer.cold.length})`)
    out.push(
      table(
        ['', 'cold request', 'warm request after it', 'cold − warm'],
        [
          ['passthrough SW', cs.passthrough.medianColdMs, cs.passthrough.medianWarmMs, cs.passthrough.medianStartupMs],
          ['sw-bearer (token from IndexedDB)', cs.bearer.medianColdMs, cs.bearer.medianWarmMs, cs.bearer.medianStartupMs],
        ],
      ),
    )
    out.push(`   sw-bearer / passthrough, cold: ${cs.coldRatio} · failed: ${cs.failed}`)
  }

  const su = results.startup
  if (su) {
    out.push('', `4b. Warm start: worker active with a fresh token, SDK signed in; a newly opened tab, call to resolve (${su.register.n} tabs)`)
    out.push(
      table(
        ['', 'p50', 'p90'],
        [
          ['await userManager.getUser() (the SDK\'s cached read)', su.getUser.p50, su.getUser.p90],
          ['await registerTokenServiceWorker(…) with fromOidcClient', su.register.p50, su.register.p90],
          ['register / getUser', su.ratios.p50, su.ratios.p90],
        ],
      ),
    )
    const { registerFirst: rf, getUserFirst: gf } = su.byOrder
    out.push(`   p50 by order: getUser first ${gf.getUser.p50}, then register ${gf.register.p50} · register first ${rf.register.p50}, then getUser ${rf.getUser.p50}`)
    out.push(`   token-endpoint calls during the row: ${su.tokenCalls} · getter calls per tab: ${[...new Set(su.samples.getterCalls)].join(' or ')} · tabs not controlled at load: ${su.uncontrolledAtLoad}`)
  }

  if (ff?.perRequest || ff?.perRequestResources || ff?.perRequestDpop || ff?.storm) {
    // Their own section: a Firefox ratio is read beside Firefox's other numbers, never Chromium's.
    out.push('', `── Firefox ${ff.version}: rows 1, 1r, 1d and 3 in its own run; compare its ratios with each other only ──`)
    if (ff.perRequest) perRequestRows(out, ff.perRequest, `1. Firefox ${ff.version} ·`, results)
    if (ff.perRequestResources) perRequestResourcesRows(out, ff.perRequestResources, `1r. Firefox ${ff.version} ·`, results, ff.perRequest)
    if (ff.perRequestDpop) perRequestDpopRows(out, ff.perRequestDpop, `1d. Firefox ${ff.version} ·`, results)
    if (ff.storm) stormRows(out, ff.storm, `3. Firefox ${ff.version} ·`, results)
  }

  const bs = results.bundleSize
  if (bs) {
    out.push('', '5. Bundle size of a consumer (minified, production, gzip -9), bytes')
    out.push(
      table(
        ['', 'minified', 'gzip', 'target (gzip)'],
        [
          ['service worker (installTokenInjection + workbox, idb, jose decode)', bs.sw.minified, mark(bs.sw.gzip, bs.sw.gzip <= results.targets.swGzip), results.targets.swGzip],
          ['page (registerTokenServiceWorker)', bs.page.minified, mark(bs.page.gzip, bs.page.gzip <= results.targets.pageGzip), results.targets.pageGzip],
        ],
      ),
    )
  }
  console.log(out.join('\n'))
}

/** Row 1 of one engine; `label` is its number, with the engine's name unless it is Chromium. */
function perRequestRows(out, pr, label, results) {
  const { sequential: s, concurrent: c, ratios: r } = pr
  out.push('', `${label} Per API request (cross-origin GET, ${s.floor.n} sequential per variant, interleaved rounds)`)
  out.push(
    table(
      ['', '(a) no SW, page sets header', '(b) passthrough SW', '(c) sw-bearer', 'c/a', 'c/b'],
      [
        ['sequential p50', s.floor.p50, s.passthrough.p50, s.bearer.p50, r.sequentialP50.cOverA, mark(r.sequentialP50.cOverB, r.sequentialP50.cOverB <= results.targets.cOverBP50)],
        ['sequential p90', s.floor.p90, s.passthrough.p90, s.bearer.p90, r.sequentialP90.cOverA, r.sequentialP90.cOverB],
        [
          `${results.config.perRequest.concurrency} at once, total (median of ${c.floor.rounds})`,
          c.floor.medianTotalMs,
          c.passthrough.medianTotalMs,
          c.bearer.medianTotalMs,
          r.concurrent.cOverA,
          r.concurrent.cOverB,
        ],
      ],
    ),
  )
  const pr50 = r.perRoundP50
  out.push(`   c/b of each round's p50: median ${pr50.cOverB.median}, interquartile ${pr50.cOverB.p25}–${pr50.cOverB.p75} (${pr50.rounds.cOverB.length} rounds) · c/a: median ${pr50.cOverA.median}, ${pr50.cOverA.p25}–${pr50.cOverA.p75}`)
  const routing = pr.routing ? ` · routing of an API request: ${JSON.stringify(pr.routing)}` : ''
  out.push(`   target c/b p50 ≤ ${results.targets.cOverBP50} · failed requests: ${JSON.stringify(pr.failed)}${routing}`)
}

/** Row 1r of one engine, labelled as row 1 is; `pr` is row 1 of the same engine and run, if it ran. */
function perRequestResourcesRows(out, prr, label, results, pr) {
  const { sequential: s, byOrigin: o, ratios: r } = prr
  const target = results.targets.cOverBP50
  const spread = (x) => `${x.median} (${x.p25}–${x.p75})`
  out.push('', `${label} Per API request, two APIs: sw-bearer lists the first as a plain origin and the second as { origin, resource }; plain fetches take turns between them (${s.bearerTwo.n} sequential per variant, half to each, in the same shuffled rounds as (b) and (c) on one API)`)
  out.push(
    table(
      ['', '(b) passthrough SW, p50', '(c) sw-bearer, p50', 'c/b p50', 'c/b p90', "c/b of each round's p50: median (interquartile)"],
      [
        ['one API, the default token', s.passthrough.p50, s.bearer.p50, mark(r.sequentialP50.one, r.sequentialP50.one <= target), r.sequentialP90.one, spread(r.perRoundP50.one)],
        ['two APIs, two tokens, in turns', s.passthroughTwo.p50, s.bearerTwo.p50, mark(r.sequentialP50.two, r.sequentialP50.two <= target), r.sequentialP90.two, spread(r.perRoundP50.two)],
        ['  of which to the first API (default token)', o.passthroughTwo.default.p50, o.bearerTwo.default.p50, r.sequentialP50.twoDefaultOrigin, '', ''],
        ['  of which to the second API (its resource)', o.passthroughTwo.resource.p50, o.bearerTwo.resource.p50, r.sequentialP50.twoResourceOrigin, '', ''],
      ],
    ),
  )
  const tm = r.trimmedMean
  out.push(`   10 %-trimmed means, c/b: one API ${tm.one}, two APIs ${tm.two} · sw-bearer adds ${r.addedMs.one} ms a request on one API, ${r.addedMs.two} ms on two`)
  const first = prr.firstRequestToResourceOrigin
  const row1 = pr ? `row 1's c/b p50 in this run: ${pr.ratios.sequentialP50.cOverB} · ` : ''
  out.push(`   ${row1}target c/b p50 ≤ ${target} · failed requests: ${JSON.stringify(prr.failed)}`)
  out.push(`   first request to the second API: passthrough ${first.passthroughTwo.ms} ms, sw-bearer ${first.bearerTwo.ms} ms (fetches the resource's token through the getter; provider calls at its setup and first use: ${first.bearerTwoProviderCalls})`)
  const t = prr.tokens
  const routing = prr.routing ? ` · routing of a request to the second API: ${JSON.stringify(prr.routing)}` : ''
  out.push(`   tokens sw-bearer sent: ${t.atDefaultOrigin} to the first API, ${t.atResourceOrigin} to the second, shared ${t.shared ? 'yes' : 'none'} ${t.ok ? '✓' : '✗'}${routing}`)
}

/** Row 1d of one engine, labelled as row 1 is. */
function perRequestDpopRows(out, pd, label, results) {
  const { sequential: s, ratios: r } = pd
  const target = results.targets.cOverBP50
  const spread = (x) => `${x.median} (${x.p25}–${x.p75})`
  out.push('', `${label} Per API request, DPoP-bound token: the getter returns { token, type: 'DPoP', key } (a non-extractable P-256 key), the worker signs a proof per request (${s.dpop.n} sequential per variant, in the same shuffled rounds as (b) and (c))`)
  out.push(
    table(
      ['', '(b) passthrough SW, p50', 'sw-bearer, p50', 'c/b p50', 'c/b p90', "c/b of each round's p50: median (interquartile)", 'c/b trimmed mean', 'adds, ms'],
      [
        ['(c) Bearer token', s.passthrough.p50, s.bearer.p50, mark(r.sequentialP50.bearer, r.sequentialP50.bearer <= target), r.sequentialP90.bearer, spread(r.perRoundP50.bearer), r.trimmedMean.bearer, r.addedMs.bearer],
        ['(d) DPoP-bound token, a proof per request', s.passthrough.p50, s.dpop.p50, mark(r.sequentialP50.dpop, r.sequentialP50.dpop <= target), r.sequentialP90.dpop, spread(r.perRoundP50.dpop), r.trimmedMean.dpop, r.addedMs.dpop],
      ],
    ),
  )
  out.push(`   DPoP / Bearer p50: ${r.sequentialP50.dpopOverBearer}, each round's ${spread(r.perRoundP50.dpopOverBearer)} · DPoP adds ${r.addedMs.dpopOverBearer} ms over Bearer (10 %-trimmed means) · one ES256 signature in the page: ${pd.signing.msEach} ms (${pd.signing.n} timed)`)
  out.push(`   target c/b p50 ≤ ${target} · failed requests: ${JSON.stringify(pd.failed)} · DPoP requests the API accepted (each needs a proof): ${pd.requestsAcceptedAsDpop.accepted}/${pd.requestsAcceptedAsDpop.sent}`)
  const p = pd.proofs
  const last = p.last ? ` · last: ${p.last.header.typ} ${p.last.header.alg} ${p.last.payload.htm} ${p.last.payload.htu}` : ''
  const routing = pd.routing ? ` · routing of a DPoP request: ${JSON.stringify(pd.routing)}` : ''
  out.push(`   proofs checked: ${p.distinct} distinct of ${p.checked}, typ/alg/jwk/htm/htu/iat/ath/jti ${p.problems.length ? `✗ ${p.problems.join('; ')}` : 'well-formed'}, last signature ${p.signatureVerified ? 'verified' : 'not verified'} ${p.ok ? '✓' : '✗'}${last}${routing}`)
}

/** Row 3 of one engine, labelled as row 1 is. */
function stormRows(out, st, label, results) {
  out.push('', `${label} Refresh storm: revoked token, ${st.total} requests at once over ${st.tabs} tabs (provider answers in ${results.config.providerLatencyMs} ms)`)
  const row = (name, v, target) => {
    const last = v.runs.at(-1)
    return [
      name,
      target ? mark(v.providerCalls.join(', '), v.providerCalls.every((n) => n === target)) : v.providerCalls.join(', '),
      v.medianTimeToLastResponseMs,
      v.runs.map((x) => x.okSeenByApp).join(', '),
      v.runs.map((x) => x.unauthorizedSeenByApp).join(', '),
      `${last.server.unauthorized} / ${last.server.ok}`,
    ]
  }
  out.push(
    table(
      ['', 'provider calls (each run)', 'time to last response, median', '200s seen by app', '401s seen by app', 'API 401s / 200s (last run)'],
      [row('sw-bearer', st.bearer, results.targets.stormProviderCalls), row('per-tab wrapper (axios-auth-refresh style)', st.wrapper)],
    ),
  )
}

/** A value with ✓ or ✗ after it, for the rows that have a target. */
function mark(value, met) {
  return `${value} ${met ? '✓' : '✗'}`
}

function table(header, rows) {
  const cells = [header, ...rows].map((row) => row.map((cell) => String(cell)))
  const widths = header.map((_, i) => Math.max(...cells.map((row) => [...row[i]].length)))
  const line = (row) => '   ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')
  return [line(cells[0]), '   ' + widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}
