// Base64 (RFC 4648, standard alphabet, padded): binary blobs inside JSON, e.g. a SentencePiece
// model stored in a checkpoint's configuration.
#pragma once

#include <string>
#include <string_view>

namespace setformer::io {

std::string base64_encode(std::string_view bytes);
/// Throws std::invalid_argument naming `name` and the offset of the first character that is not
/// base64, or when the length or padding is wrong.
std::string base64_decode(std::string_view text, const std::string& name);

}  // namespace setformer::io
