import { describe, expect, it } from 'vitest'
import { displayName, fileBadge, formatBytes, isImage, sameOrigin } from './format'

describe('files formatting', () => {
  it('formats sizes', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB')
    expect(formatBytes(-1)).toBe('—')
  })
  it('knows image types', () => {
    expect(isImage('image/png')).toBe(true)
    expect(isImage('image/svg+xml')).toBe(true)
    expect(isImage('text/plain')).toBe(false)
  })
  it('makes URLs same-origin', () => {
    expect(sameOrigin('http://localhost:1337/parse/files/app/a_b.png?expires=1&signature=x')).toBe('/parse/files/app/a_b.png?expires=1&signature=x')
    expect(sameOrigin('/parse/files/app/x')).toBe('/parse/files/app/x')
  })
  it('badges files by extension', () => {
    expect(fileBadge('notes.txt')).toBe('TXT')
    expect(fileBadge('archive.tar.gz')).toBe('GZ')
    expect(fileBadge('README')).toBe('FILE')
    expect(fileBadge('x.markdown')).toBe('FILE')
  })
  it('strips the stored prefix', () => {
    expect(displayName('0123456789abcdef0123456789abcdef_cat.png')).toBe('cat.png')
    expect(displayName('plain_name.txt')).toBe('plain_name.txt')
  })
})
