// xz-decompress is a UMD bundle: Node sees only a default export holding XzReadableStream.
declare module 'xz-decompress' {
  const xz: { XzReadableStream: new (compressed: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> }
  export default xz
}
