#include "api/http/message.h"

namespace parley::http {

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
    case Method::kHead: return "HEAD";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: break;
  }
  return "OTHER";
}

const std::string* Request::QueryParam(std::string_view name) const {
  const std::string* found = nullptr;
  for (const auto& [key, value] : query) {
    if (key == name) found = &value;
  }
  return found;
}

const std::string* Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the percent-decoding of `in` to `out`; `plus_is_space` for the
// application/x-www-form-urlencoded query. False on a malformed escape.
bool AppendDecoded(std::string_view in, bool plus_is_space, std::string* out) {
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  return AppendDecoded(in, /*plus_is_space=*/false, out);
}

bool ParseTarget(std::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query) {
  path->clear();
  query->clear();
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  std::string ignored;
  if (!AppendDecoded(raw_path, /*plus_is_space=*/false, &ignored)) return false;
  path->assign(raw_path);
  if (q == std::string_view::npos) return true;

  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto& [n, v] = query->emplace_back();
    if (!AppendDecoded(name, /*plus_is_space=*/true, &n) ||
        !AppendDecoded(value, /*plus_is_space=*/true, &v)) {
      return false;
    }
  }
  return true;
}

}  // namespace parley::http
