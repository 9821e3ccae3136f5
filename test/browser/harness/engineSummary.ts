import type { Reporter, TestModule } from 'vitest/node'
import { ENGINE_NAMES, type EngineName } from './engines/engine.js'
import { GAP_MARK } from './gaps.js'

/**
 * Prints, after the run, how many browser tests each engine passed and failed, and its gaps.
 * A test is its engine's by its outermost describe (`describe.each(engines)`); a browser test
 * outside one is an error, so no engine's count silently takes another's.
 */
class EngineSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = new Map<EngineName, { passed: number; failed: number; skipped: number; gaps: string[] }>()
    for (const module of modules) {
      if (module.project.name !== 'browser') continue
      for (const test of module.children.allTests()) {
        // `describe.each(engines)('%s', …)`, or a name that starts with it ('%s driver').
        const top = test.fullName.split(' > ')[0]!.split(' ')[0] as EngineName
        if (!ENGINE_NAMES.includes(top)) throw new Error(`${module.relativeModuleId}: "${test.fullName}" is in no engine's describe`)
        const engine = top
        const row = rows.get(engine) ?? { passed: 0, failed: 0, skipped: 0, gaps: [] }
        rows.set(engine, row)
        const state = test.result().state
        // A gap's test passes when the driver really lacks what the behaviour test needs.
        if (state === 'failed') row.failed++
        else if (test.name.includes(GAP_MARK)) row.gaps.push(`${module.relativeModuleId}: ${test.name}`)
        else if (state === 'passed') row.passed++
        else row.skipped++ // filtered out by -t, or skipped: a full run shows none
      }
    }
    if (rows.size === 0) return
    const lines = ['', 'Browser tests per engine:']
    for (const [engine, { passed, failed, skipped, gaps }] of rows) {
      lines.push(`  ${engine.padEnd(9)} ${passed} passed, ${failed} failed, ${gaps.length} gaps${skipped ? `, ${skipped} skipped` : ''}`)
      for (const gap of gaps) lines.push(`    gap  ${gap}`)
    }
    console.log(lines.join('\n'))
  }
}

// Vitest loads a reporter file by its default export.
export default EngineSummary
