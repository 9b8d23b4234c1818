// Stored views (see Store::ConversationViews): their packed form (LZ4) and
// replacing the views of a conversation.
#include <lz4.h>

#include "store/sqlite/sqlite_internal.h"

namespace parley::store::sqlite {
namespace {

// Stored form of a view: 0x00 + the bytes, or 0x01 + the original length (4
// bytes, little-endian) + its LZ4 block. A view is often a 2-3 KB JSON text
// that LZ4 halves: two fit in a page instead of one, which halves the pages a
// create writes for it (WAL and checkpoint). Rows written before this format
// (schema v2, raw JSON) start with neither byte and are read as they are.
std::string PackView(absl::string_view view) {
  std::string out;
  if (view.size() >= 512 && view.size() < (1u << 30)) {
    const int bound = LZ4_compressBound(static_cast<int>(view.size()));
    out.resize(5 + static_cast<size_t>(bound));
    const int n = LZ4_compress_default(view.data(), out.data() + 5, static_cast<int>(view.size()), bound);
    if (n > 0 && static_cast<size_t>(n) < view.size() - view.size() / 8) {
      out[0] = '\x01';
      const uint32_t len = static_cast<uint32_t>(view.size());
      for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((len >> (8 * i)) & 0xff);
      out.resize(5 + static_cast<size_t>(n));
      return out;
    }
  }
  out.assign(1, '\x00');
  out.append(view.data(), view.size());
  return out;
}

}  // namespace

absl::Status UnpackView(absl::string_view stored, std::string* out) {
  if (stored.empty() || (stored[0] != '\x00' && stored[0] != '\x01')) {
    out->assign(stored.data(), stored.size());  // written before packing existed
    return absl::OkStatus();
  }
  if (stored[0] == '\x00') {
    out->assign(stored.data() + 1, stored.size() - 1);
    return absl::OkStatus();
  }
  if (stored.size() < 5) return absl::InternalError("stored view is corrupt");
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<unsigned char>(stored[1 + i])) << (8 * i);
  out->resize(len);
  const int n = LZ4_decompress_safe(stored.data() + 5, out->data(), static_cast<int>(stored.size() - 5),
                                    static_cast<int>(len));
  if (n < 0 || static_cast<uint32_t>(n) != len) {
    out->clear();
    return absl::InternalError("stored view is corrupt");
  }
  return absl::OkStatus();
}

ConversationViews PackViews(const ConversationViews& views) {
  ConversationViews packed;
  packed.reserve(views.size());
  for (const auto& [name, body] : views) packed.emplace_back(name, PackView(body));
  return packed;
}

// Replaces the stored views of conversation `pk` with `views` (packed).
absl::Status ReplaceViews(Connection& conn, int64_t pk, const ConversationViews& views) {
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversation_views WHERE conv = ?1"));
    s.Bind(1, pk);
    RETURN_IF_ERROR(s.Exec());
  }
  if (views.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO conversation_views (conv, name, body)"
                                          " VALUES (?1, ?2, ?3)"));
  for (const auto& [name, body] : views) {
    s.Bind(1, pk).BindText(2, name).BindBlobStatic(3, body);
    RETURN_IF_ERROR(s.Exec());
  }
  return absl::OkStatus();
}
}  // namespace parley::store::sqlite
