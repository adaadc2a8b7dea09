/** Graph helpers for the network benchmarks: a seeded connected random graph and hop counts. */

/** Deterministic PRNG (mulberry32), so every run builds the same graph shape. */
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A connected random graph on n nodes: a random spanning tree, then random extra links until every
 * node has about `degree`. Returns edges as [i, j] with i < j.
 */
export function randomGraph (n: number, degree: number, seed = 42): Array<[number, number]> {
  const rand = random(seed)
  const adj = Array.from({ length: n }, () => new Set<number>())
  const link = (i: number, j: number): void => {
    adj[i]?.add(j)
    adj[j]?.add(i)
  }
  for (let i = 1; i < n; i++) link(i, Math.floor(rand() * i))
  const target = Math.min(degree, n - 1)
  for (let i = 0; i < n; i++) {
    for (let tries = 0; (adj[i] as Set<number>).size < target && tries < 50 * n; tries++) {
      const j = Math.floor(rand() * n)
      if (j !== i && !(adj[i] as Set<number>).has(j) && (adj[j] as Set<number>).size < target * 1.5) link(i, j)
    }
  }
  const edges: Array<[number, number]> = []
  adj.forEach((peers, i) => { for (const j of peers) if (i < j) edges.push([i, j]) })
  return edges
}

/** Hop count from `from` to every node reachable over `adjacency` (itself at 0). */
export function hops (adjacency: Map<string, Iterable<string>>, from: string): Map<string, number> {
  const dist = new Map([[from, 0]])
  const queue = [from]
  for (let k = 0; k < queue.length; k++) {
    const at = queue[k] as string
    for (const next of adjacency.get(at) ?? []) {
      if (!dist.has(next)) {
        dist.set(next, (dist.get(at) as number) + 1)
        queue.push(next)
      }
    }
  }
  return dist
}

/** Undirected adjacency from directed (node -> peers) lists. */
export function undirected (lists: Iterable<[string, Iterable<string>]>): Map<string, Set<string>> {
  const adj = new Map<string, Set<string>>()
  const add = (a: string, b: string): void => {
    let set = adj.get(a)
    if (set === undefined) adj.set(a, set = new Set())
    set.add(b)
  }
  for (const [a, peers] of lists) {
    for (const b of peers) {
      add(a, b)
      add(b, a)
    }
  }
  return adj
}
