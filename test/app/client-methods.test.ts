/**
 * CLIENT_METHODS is the one list the forwarding clients (other tabs, the starting tab) build their
 * methods from: it must name every method of FlockClient, and each must exist at run time.
 */
import { describe, expect, expectTypeOf, test } from 'vitest'
import { CLIENT_METHODS, type ClientMethod, type MissingMethods } from '../../src/lib/app/client.js'
import { StartingClient } from '../../src/lib/app/starting-client.js'
import { fakeClient } from '../state/fake-client.js'

describe('CLIENT_METHODS', () => {
  test('names every method of FlockClient but author and subscribe', () => {
    expectTypeOf<MissingMethods<typeof CLIENT_METHODS>>().toBeNever()
    expectTypeOf<MissingMethods<Array<Exclude<ClientMethod, 'media'>>>>().toEqualTypeOf<'media'>()
    expectTypeOf<Extract<ClientMethod, 'author' | 'subscribe'>>().toBeNever()
  })

  test('each is a method of a StartingClient that reaches the node', async () => {
    const node = fakeClient()
    const client = new StartingClient(node.author, Promise.resolve(node))
    for (const method of CLIENT_METHODS) expect(client[method], method).toBeTypeOf('function')
    await client.following()
    expect(node.calls).toEqual([['following']])
  })
})
