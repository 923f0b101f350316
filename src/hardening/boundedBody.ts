/**
 * Read an outbound call's response body with a byte counter, so a hostile or broken server (a FHIR server,
 * a JWKS endpoint) cannot make us buffer more than `maxBytes`: stop, and drop the connection, as soon as the
 * declared or the actual size exceeds it.
 */
export type BoundedBody = { ok: true; text: string } | { ok: false; reason: string };

export async function readBoundedBody(response: Response, maxBytes: number): Promise<BoundedBody> {
  const tooLarge: BoundedBody = { ok: false, reason: `response larger than ${maxBytes} bytes` };
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return tooLarge;
  }
  if (!response.body) return { ok: true, text: '' };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return tooLarge;
    }
    chunks.push(value);
  }
  // A UTF-8 byte order mark (some servers send one) is not JSON.
  return { ok: true, text: Buffer.concat(chunks, total).toString('utf8').replace(/^\uFEFF/, '') };
}
