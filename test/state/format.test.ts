import { describe, expect, it } from 'vitest'
import {
  absoluteTime, avatarHue, avatarInitial, backupFileName, displayName, formatBytes, formatCount, formatPercent,
  importMessage, relativeTime, shortAuthor, shortId, syncText
} from '../../src/lib/state/format.js'

const AUTHOR = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'
const utc = { locale: 'en-US', timeZone: 'UTC' }

describe('relativeTime', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0)

  it('says now for under a minute, and for timestamps slightly in the future', () => {
    expect(relativeTime(now, now, utc)).toBe('now')
    expect(relativeTime(now - 59_999, now, utc)).toBe('now')
    expect(relativeTime(now + 120_000, now, utc)).toBe('now')
  })

  it('counts minutes, hours and days', () => {
    expect(relativeTime(now - 60_000, now, utc)).toBe('1m')
    expect(relativeTime(now - 5 * 60_000, now, utc)).toBe('5m')
    expect(relativeTime(now - 59 * 60_000 - 59_000, now, utc)).toBe('59m')
    expect(relativeTime(now - 3 * 3_600_000, now, utc)).toBe('3h')
    expect(relativeTime(now - 23 * 3_600_000, now, utc)).toBe('23h')
    expect(relativeTime(now - 2 * 86_400_000, now, utc)).toBe('2d')
    expect(relativeTime(now - 6 * 86_400_000, now, utc)).toBe('6d')
  })

  it('shows a date after a week, with the year only when it differs', () => {
    expect(relativeTime(now - 7 * 86_400_000, now, utc)).toBe('Nov 14')
    expect(relativeTime(Date.UTC(2025, 2, 5, 12), now, utc)).toBe('Mar 5, 2025')
  })

  it('gives a full absolute time for titles', () => {
    expect(absoluteTime(now, utc)).toBe('Nov 21, 2026, 12:00 PM')
  })
})

describe('ids and names', () => {
  it('shortens ids', () => {
    expect(shortId('bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')).toBe('bafyre…52zy')
    expect(shortId('short')).toBe('short')
    expect(shortAuthor(AUTHOR)).toBe('KnDdG3iX')
  })

  it('prefers the profile name and falls back to the short id', () => {
    expect(displayName(AUTHOR, 'Ada')).toBe('Ada')
    expect(displayName(AUTHOR, '  ')).toBe('KnDdG3iX')
    expect(displayName(AUTHOR)).toBe('KnDdG3iX')
  })

  it('makes stable avatar placeholders', () => {
    expect(avatarHue(AUTHOR)).toBe(avatarHue(AUTHOR))
    expect(avatarHue(AUTHOR)).toBeGreaterThanOrEqual(0)
    expect(avatarHue(AUTHOR)).toBeLessThan(360)
    expect(avatarInitial(AUTHOR, 'ada')).toBe('A')
    expect(avatarInitial(AUTHOR, '👍🏽 thumbs')).toBe('👍🏽')
    expect(avatarInitial(AUTHOR)).toBe('K')
  })

  it('names backup files after the short id', () => {
    expect(backupFileName(AUTHOR)).toBe('flock-identity-KnDdG3iX.json')
  })
})

describe('numbers', () => {
  it('formats bytes in binary steps', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1024)).toBe('1 KB')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MB')
    expect(formatBytes(1024 * 1024 - 1)).toBe('1 MB')
    expect(formatBytes(-1)).toBe('—')
  })

  it('formats counts and shares', () => {
    expect(formatCount(1000)).toBe('1,000')
    expect(formatPercent(0)).toBe('0%')
    expect(formatPercent(0.004)).toBe('0.4%')
    expect(formatPercent(0.05)).toBe('5%')
    expect(formatPercent(0.374)).toBe('37%')
    expect(formatPercent(1)).toBe('100%')
    expect(formatPercent(Number.NaN)).toBe('0%')
  })
})

describe('syncText', () => {
  it('describes catch-up progress', () => {
    expect(syncText({ active: true, received: 340, expected: 1000, peers: 2 })).toBe('Syncing 340 of 1,000 entries from 2 peers')
    expect(syncText({ active: true, received: 1, expected: 1, peers: 1 })).toBe('Syncing 1 of 1 entry from 1 peer')
    expect(syncText({ active: true, received: 12, expected: 0, peers: 0 })).toBe('Syncing 12 entries')
    expect(syncText({ active: false, received: 1000, expected: 1000, peers: 2 })).toBe('Up to date')
  })
})

it('importMessage says what a CAR import kept and what it skipped', () => {
  expect(importMessage({ added: 1, otherAuthors: 0, badBlocks: 0, truncated: false })).toBe('Imported 1 new entry.')
  expect(importMessage({ added: 1200, otherAuthors: 12, badBlocks: 2, truncated: true })).toBe(
    "Imported 1,200 new entries. Skipped 12 entries of people you don't follow. 2 damaged blocks were skipped. " +
    'The file was cut short; what came before the cut was imported.')
  expect(importMessage({ added: 0, otherAuthors: 0, badBlocks: 1, truncated: false })).toBe('Imported 0 new entries. 1 damaged block was skipped.')
})
