/**
 * A small typed flag parser for the Node entry points. Each flag may also come from the environment
 * as FLOCK_<FLAG> (upper snake case); a flag on the command line wins. Errors are one line, meant to
 * be printed as is before exiting with status 2.
 *
 * ```ts
 * const r = parseFlags({ port: { type: 'port', default: 0, help: 'listen port' } }, argv, process.env, 'npm run x --')
 * if (r.kind === 'flags') r.flags.port // number
 * ```
 */

export type FlagSpec =
  | { type: 'string', default?: string, multiple?: false, help: string }
  | { type: 'string', multiple: true, help: string }
  | { type: 'port', default?: number, help: string }
  | { type: 'count', default?: number, help: string }
  | { type: 'number', default?: number, help: string }
  | { type: 'boolean', default: boolean, help: string }

type ValueOf<S extends FlagSpec> =
  S extends { type: 'string', multiple: true } ? string[]
    : S extends { type: 'string' } ? (S extends { default: string } ? string : string | undefined)
      : S extends { type: 'boolean' } ? boolean
        : S extends { default: number } ? number : number | undefined

export type Flags<T extends Record<string, FlagSpec>> = { [K in keyof T]: ValueOf<T[K]> }

export type ParseResult<T extends Record<string, FlagSpec>> =
  | { kind: 'flags', flags: Flags<T> }
  | { kind: 'help', text: string }
  | { kind: 'error', message: string }

export function envName (flag: string): string {
  return `FLOCK_${flag.toUpperCase().replaceAll('-', '_')}`
}

function convert (name: string, spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case 'string':
      return raw
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw)) return true
      if (['false', '0', 'no'].includes(raw)) return false
      throw new Error(`--${name} must be true or false, got "${raw}"`)
    case 'port': {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port from 0 to 65535, got "${raw}"`)
      return n
    }
    case 'count': {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number >= 0, got "${raw}"`)
      return n
    }
    case 'number': {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${raw}"`)
      return n
    }
  }
}

export function usage<T extends Record<string, FlagSpec>> (spec: T, command: string): string {
  const lines = [`usage: ${command} [flags]`, '']
  for (const [name, s] of Object.entries(spec)) {
    const value = s.type === 'boolean' ? '' : ` ${s.type === 'string' ? 'VALUE' : 'N'}`
    const def = 'default' in s && s.default !== undefined ? ` (default ${String(s.default)})` : ''
    lines.push(`  --${name}${value}`.padEnd(34) + `${s.help}${def}; env ${envName(name)}`)
  }
  lines.push('  --help'.padEnd(34) + 'print this help', '')
  return lines.join('\n')
}

export function parseFlags<T extends Record<string, FlagSpec>> (
  spec: T, argv: string[], env: Record<string, string | undefined>, command: string
): ParseResult<T> {
  const values: Record<string, unknown> = {}
  const fromArgs = new Set<string>()
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string
      if (arg === '--help' || arg === '-h') return { kind: 'help', text: usage(spec, command) }
      if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`)
      let name = arg.slice(2)
      let inline: string | undefined
      const eq = name.indexOf('=')
      if (eq >= 0) {
        inline = name.slice(eq + 1)
        name = name.slice(0, eq)
      }
      let s = spec[name]
      if (s === undefined && name.startsWith('no-') && spec[name.slice(3)]?.type === 'boolean' && inline === undefined) {
        name = name.slice(3)
        values[name] = false
        fromArgs.add(name)
        continue
      }
      s = spec[name]
      if (s === undefined) throw new Error(`unknown flag --${name} (see --help)`)
      let raw = inline
      if (raw === undefined && s.type === 'boolean') raw = 'true'
      if (raw === undefined) {
        raw = argv[++i]
        if (raw === undefined || raw.startsWith('--')) throw new Error(`--${name} needs a value`)
      }
      const value = convert(name, s, raw)
      if (s.type === 'string' && s.multiple === true) {
        values[name] = [...(fromArgs.has(name) ? values[name] as string[] : []), value]
      } else {
        values[name] = value
      }
      fromArgs.add(name)
    }
    for (const [name, s] of Object.entries(spec)) {
      if (fromArgs.has(name)) continue
      const raw = env[envName(name)]
      if (raw !== undefined && raw !== '') {
        values[name] = s.type === 'string' && s.multiple === true
          ? raw.split(',').map(v => v.trim()).filter(v => v !== '')
          : convert(name, s, raw)
      } else if (s.type === 'string' && s.multiple === true) {
        values[name] = []
      } else if ('default' in s) {
        values[name] = s.default
      }
    }
  } catch (err) {
    return { kind: 'error', message: (err as Error).message }
  }
  return { kind: 'flags', flags: values as Flags<T> }
}
