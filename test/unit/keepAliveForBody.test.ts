import { describe, expect, it, vi } from 'vitest'
import { keepAliveForBody } from '../../sw/keepAliveForBody.js'

/** A body whose parts the test sends, and an event that records what it is kept alive for. */
function streaming() {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const response = new Response(new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) }))
  const kept: Promise<unknown>[] = []
  const event = { waitUntil: (p: Promise<unknown>) => void kept.push(p) } as unknown as ExtendableEvent
  let over = false
  const settled = () => Promise.all(kept).then(() => (over = true))
  return { response, event, controller, kept, settled, isOver: () => over }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('keepAliveForBody', () => {
  it('keeps the event alive until the whole body has arrived, and leaves the page its body whole', async () => {
    const { response, event, controller, kept, settled, isOver } = streaming()
    keepAliveForBody(event, response)
    void settled()
    expect(kept).toHaveLength(1)
    controller.enqueue(new TextEncoder().encode('first;'))
    await tick()
    expect(isOver()).toBe(false)
    controller.enqueue(new TextEncoder().encode('last'))
    controller.close()
    expect(await response.text()).toBe('first;last')
    await tick()
    expect(isOver()).toBe(true)
  })

  it('lets go after 1 MiB: a large download is not held in memory ahead of a slow reader', async () => {
    const { response, event, controller, settled, isOver } = streaming()
    keepAliveForBody(event, response)
    void settled()
    controller.enqueue(new Uint8Array(1 << 20))
    await tick()
    expect(isOver()).toBe(false)
    controller.enqueue(new Uint8Array(1))
    await tick()
    await tick()
    expect(isOver()).toBe(true)
    controller.enqueue(new TextEncoder().encode('rest'))
    controller.close()
    expect((await response.arrayBuffer()).byteLength).toBe((1 << 20) + 1 + 4)
  })

  it('does nothing for a response without a body, and never throws when the event is over', () => {
    const over = { waitUntil: () => { throw new DOMException('over', 'InvalidStateError') } } as unknown as ExtendableEvent
    expect(() => keepAliveForBody(over, new Response('x'))).not.toThrow()
    const kept: unknown[] = []
    keepAliveForBody({ waitUntil: (p: unknown) => void kept.push(p) } as unknown as ExtendableEvent, new Response(null, { status: 204 }))
    expect(kept).toEqual([])
  })
})

describe('keepAliveForBody, for a stream that stays open', () => {
  it('lets go after 60 s: server-sent events over fetch do not keep the worker alive for good', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const { response, event, controller, settled, isOver } = streaming()
      keepAliveForBody(event, response)
      void settled()
      controller.enqueue(new TextEncoder().encode('event: one\n\n'))
      await vi.advanceTimersByTimeAsync(59_999)
      expect(isOver()).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect(isOver()).toBe(true)
      controller.enqueue(new TextEncoder().encode('event: two\n\n'))
      controller.close()
      expect(await response.text()).toBe('event: one\n\nevent: two\n\n')
    } finally {
      vi.useRealTimers()
    }
  })
})
