// inflate.h: a DEFLATE decoder (RFC 1951) and CRC-32 (ISO 3309 / ITU-T V.42,
// the checksum of ZIP and gzip), enough to read NumPy's .npz archives
// (np.savez stores, np.savez_compressed deflates) with no dependency.
//
// Scope: raw DEFLATE streams as found inside ZIP members: stored (type 0),
// fixed Huffman (type 1) and dynamic Huffman (type 2) blocks, any number of
// blocks up to the one with BFINAL set. No zlib (RFC 1950) or gzip (RFC 1952)
// wrapper, no preset dictionary, no streaming: the whole input is in memory
// and the output goes into one caller-supplied buffer of known capacity (a
// ZIP central directory records the uncompressed size).
//
// Safety: every input byte and every output byte is bounds-checked. A corrupt
// or truncated stream returns an error status; the decoder never reads past
// `in + in_size`, never writes past `out + out_cap`, never allocates and never
// throws. Decoding time is linear in in_size + out_cap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rql {

// Result of inflate_raw. `error` is null on success, else a static string
// ("invalid distance: too far back", ...). `in_used` is the number of input
// bytes consumed (on error: the byte where decoding stopped), `out_len` the
// number of bytes written to `out`. `out_full` is true when the error is
// that the stream holds more than out_cap bytes (out[0 .. out_cap) is then
// full): a caller that does not know the true size (zip.cpp) can retry with
// more room.
struct InflateStatus {
  const char* error;
  size_t in_used;
  size_t out_len;
  bool out_full;
};

// Decode the raw DEFLATE stream in[0 .. in_size) into out[0 .. out_cap).
// An output longer than out_cap is an error ("output exceeds the expected
// size", with out_full set).
InflateStatus inflate_raw(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_cap);

// CRC-32 (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF)
// of data[0 .. n), continuing from `crc` (pass 0 to start; pass a previous
// result to checksum data in pieces). crc32("123456789") = 0xCBF43926.
uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t n);

}  // namespace rql
