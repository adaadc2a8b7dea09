/**
 * Getting bytes out of and into the browser: downloads made from a Blob and a temporary
 * `a[download]`, and reading a chosen file.
 */

/** Offer `data` as a file download named `name`. */
export function downloadFile (name: string, data: Uint8Array | string, type: string): void {
  const part: BlobPart = typeof data === 'string' ? data : new Uint8Array(data)
  const url = URL.createObjectURL(new Blob([part], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.rel = 'noopener'
  a.style.display = 'none'
  document.body.append(a)
  a.click()
  a.remove()
  // Revoking at once can cancel the download in some browsers; a minute is plenty to start it.
  setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
}

export async function readText (file: Blob): Promise<string> {
  return await file.text()
}

export async function readBytes (file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer())
}
