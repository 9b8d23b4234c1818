#include "analysis/knowledge/article.h"

#include <unicode/utf8.h>

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "analysis/knowledge/text_utf8.h"
#include "core/absl_compat.h"

namespace parley::analysis::knowledge {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// `text` with runs of white space made one space, trimmed.
std::string Collapse(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (IsSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  char buf[4];
  int32_t n = 0;
  U8_APPEND_UNSAFE(buf, n, cp);
  out->append(buf, static_cast<size_t>(n));
}

const absl::flat_hash_map<std::string_view, uint32_t>& NamedEntities() {
  static const auto* const names = new absl::flat_hash_map<std::string_view, uint32_t>{
      {"amp", '&'},      {"lt", '<'},         {"gt", '>'},         {"quot", '"'},
      {"apos", '\''},    {"nbsp", ' '},       {"ndash", 0x2013},   {"mdash", 0x2014},
      {"lsquo", 0x2018}, {"rsquo", 0x2019},   {"ldquo", 0x201C},   {"rdquo", 0x201D},
      {"hellip", 0x2026}, {"bull", 0x2022},   {"middot", 0xB7},    {"copy", 0xA9},
      {"reg", 0xAE},     {"trade", 0x2122},   {"euro", 0x20AC},    {"pound", 0xA3},
      {"yen", 0xA5},     {"cent", 0xA2},      {"deg", 0xB0},       {"times", 0xD7},
      {"laquo", 0xAB},   {"raquo", 0xBB},     {"shy", 0xAD},       {"para", 0xB6},
      {"sect", 0xA7}};
  return *names;
}

bool IsBlockTag(std::string_view name) {
  static const auto* const tags = new absl::flat_hash_set<std::string_view>{
      "p",       "div",     "br",     "li",      "ul",      "ol",         "dl",     "dt",
      "dd",      "tr",      "td",     "th",      "table",   "thead",      "tbody",  "section",
      "article", "header",  "footer", "nav",     "aside",   "main",       "blockquote",
      "pre",     "hr",      "form",   "fieldset", "figure", "figcaption", "address",
      "details", "summary", "body",   "html",    "caption", "h1",         "h2",     "h3",
      "h4",      "h5",      "h6"};
  return tags->contains(name);
}

bool IsHeadingTag(std::string_view name) {
  return name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6';
}

// Elements dropped with everything inside them.
bool IsRawDropTag(std::string_view name) {
  return name == "script" || name == "style" || name == "template" || name == "noscript";
}

// Position just after the '>' that ends the tag opened at `i` (quotes in
// attribute values respected), or in.size().
size_t SkipTag(std::string_view in, size_t i) {
  char quote = 0;
  for (; i < in.size(); ++i) {
    const char c = in[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return in.size();
}

// Position of the case-insensitive `</name` at or after `i`, or in.size().
size_t FindClosing(std::string_view in, size_t i, std::string_view name) {
  const std::string needle = absl::StrCat("</", Sv(name));
  for (; i + needle.size() <= in.size(); ++i) {
    if (in[i] == '<' && absl::EqualsIgnoreCase(Sv(in.substr(i, needle.size())), needle)) return i;
  }
  return in.size();
}

// Cuts `text` (longer than max) into pieces of at most `max` bytes, at a
// sentence end in the second half of the window, else at white space, else
// at a UTF-8 character boundary.
void CutLong(std::string_view text, size_t max, std::vector<std::string>* out) {
  while (text.size() > max) {
    size_t cut = std::string_view::npos;
    for (size_t i = max; i > max / 2; --i) {
      const char c = text[i - 1];
      if ((c == '.' || c == '?' || c == '!') && i < text.size() && text[i] == ' ') {
        cut = i;
        break;
      }
    }
    if (cut == std::string_view::npos) {
      for (size_t i = max; i > 0; --i) {
        if (text[i] == ' ') {
          cut = i;
          break;
        }
      }
    }
    if (cut == std::string_view::npos || cut == 0) {
      cut = max;
      while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
      if (cut == 0) cut = max;
    }
    std::string piece(absl::StripAsciiWhitespace(Sv(text.substr(0, cut))));
    if (!piece.empty()) out->push_back(std::move(piece));
    const absl::string_view rest = absl::StripLeadingAsciiWhitespace(Sv(text.substr(cut)));
    text = std::string_view(rest.data(), rest.size());
  }
  if (!text.empty()) out->emplace_back(text);
}

std::vector<std::string> Passages(const std::vector<std::string>& paragraphs,
                                  const std::vector<bool>& heading, size_t max) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) out.push_back(std::move(current));
    current.clear();
  };
  for (size_t i = 0; i < paragraphs.size(); ++i) {
    const std::string& p = paragraphs[i];
    if (heading[i]) flush();
    if (p.size() > max) {
      flush();
      CutLong(p, max, &out);
      continue;
    }
    if (!current.empty() && current.size() + 1 + p.size() > max) flush();
    if (!current.empty()) current.push_back('\n');
    current += p;
  }
  flush();
  return out;
}

}  // namespace

std::string DecodeEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const size_t semi = text.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back('&');
      continue;
    }
    std::string_view ref = text.substr(i + 1, semi - i - 1);
    uint32_t cp = 0;
    bool ok = false;
    if (!ref.empty() && ref[0] == '#') {
      const bool hex = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X');
      std::string_view digits = ref.substr(hex ? 2 : 1);
      ok = !digits.empty() && digits.size() <= 7;
      for (char c : digits) {
        int v;
        if (c >= '0' && c <= '9') {
          v = c - '0';
        } else if (hex && absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
          v = absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
        } else {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
      }
    } else {
      auto it = NamedEntities().find(ref);
      if (it != NamedEntities().end()) {
        cp = it->second;
        ok = true;
      }
    }
    if (!ok) {
      out.push_back('&');
      continue;
    }
    AppendUtf8(cp == 0xA0 ? ' ' : cp, &out);
    i = semi;
  }
  return out;
}

HtmlText HtmlToText(std::string_view in) {
  HtmlText result;
  std::string raw;  // text of the current paragraph, entities not yet decoded
  std::string first_h1;
  bool in_head = false;
  int heading_depth = 0;
  bool paragraph_is_heading = false;
  auto flush = [&] {
    std::string text = Collapse(DecodeEntities(raw));
    raw.clear();
    if (!text.empty()) {
      result.paragraphs.push_back(std::move(text));
      result.heading.push_back(paragraph_is_heading);
    }
    paragraph_is_heading = heading_depth > 0;
  };
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c != '<') {
      if (!in_head) raw.push_back(c);
      ++i;
      continue;
    }
    if (in.substr(i, 4) == "<!--") {
      const size_t end = in.find("-->", i + 4);
      i = end == std::string_view::npos ? in.size() : end + 3;
      continue;
    }
    const bool closing = i + 1 < in.size() && in[i + 1] == '/';
    const size_t name_start = i + (closing ? 2 : 1);
    if (name_start < in.size() && (in[name_start] == '!' || in[name_start] == '?')) {
      i = SkipTag(in, name_start);
      continue;
    }
    size_t name_end = name_start;
    while (name_end < in.size() && absl::ascii_isalnum(static_cast<unsigned char>(in[name_end]))) ++name_end;
    if (name_end == name_start || !absl::ascii_isalpha(static_cast<unsigned char>(in[name_start]))) {
      if (!in_head) raw.push_back(c);  // a '<' that starts no tag is text
      ++i;
      continue;
    }
    const std::string name = absl::AsciiStrToLower(Sv(in.substr(name_start, name_end - name_start)));
    i = SkipTag(in, name_end);
    if (!closing && IsRawDropTag(name)) {
      i = SkipTag(in, FindClosing(in, i, name));
      continue;
    }
    if (!closing && name == "title") {
      const size_t end = FindClosing(in, i, name);
      if (result.title.empty()) result.title = Collapse(DecodeEntities(in.substr(i, end - i)));
      i = SkipTag(in, end);
      continue;
    }
    if (name == "head") {
      in_head = !closing;
      continue;
    }
    if (IsHeadingTag(name)) {
      flush();
      heading_depth += closing ? -1 : 1;
      if (heading_depth < 0) heading_depth = 0;
      paragraph_is_heading = heading_depth > 0;
      if (closing && name == "h1" && first_h1.empty() && !result.paragraphs.empty() &&
          result.heading.back()) {
        first_h1 = result.paragraphs.back();
      }
      continue;
    }
    if (IsBlockTag(name)) flush();
  }
  flush();
  if (result.title.empty()) result.title = first_h1;
  return result;
}

absl::StatusOr<Article> ParseArticle(std::string_view content, std::string_view mime_type,
                                     const ArticleLimits& limits) {
  if (!IsValidUtf8(content)) {
    return absl::InvalidArgumentError(absl::StrCat("the ", Sv(mime_type), " document is not valid UTF-8"));
  }
  if (absl::StartsWith(Sv(content), "\xEF\xBB\xBF")) content.remove_prefix(3);
  Article article;
  std::vector<std::string> paragraphs;
  std::vector<bool> heading;
  if (mime_type == "text/html") {
    HtmlText html = HtmlToText(content);
    article.title = std::move(html.title);
    paragraphs = std::move(html.paragraphs);
    heading = std::move(html.heading);
  } else if (mime_type == "text/plain") {
    std::string current;
    bool multi_line = false;
    bool first = true;
    auto flush = [&] {
      std::string text = Collapse(current);
      current.clear();
      if (text.empty()) return;
      if (first && !multi_line && text.size() <= 120 && text.back() != '.' && text.back() != '!' &&
          text.back() != '?' && text.back() != ':' && text.back() != ',') {
        article.title = text;
        heading.push_back(true);
      } else {
        heading.push_back(false);
      }
      paragraphs.push_back(std::move(text));
      first = false;
      multi_line = false;
    };
    size_t start = 0;
    while (start <= content.size()) {
      size_t end = content.find('\n', start);
      if (end == std::string_view::npos) end = content.size();
      std::string_view line = content.substr(start, end - start);
      if (absl::StripAsciiWhitespace(Sv(line)).empty()) {
        flush();
      } else {
        if (!current.empty()) {
          current.push_back(' ');
          multi_line = true;
        }
        current.append(line);
      }
      start = end + 1;
    }
    flush();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("an article must be text/html or text/plain, not \"", Sv(mime_type), "\""));
  }
  article.passages = Passages(paragraphs, heading, limits.max_passage_bytes);
  if (article.passages.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the ", Sv(mime_type), " document holds no text"));
  }
  if (article.passages.size() > limits.max_passages) {
    return absl::InvalidArgumentError(absl::StrCat("the ", Sv(mime_type), " document has more than ",
                                                   limits.max_passages, " passages"));
  }
  return article;
}

}  // namespace parley::analysis::knowledge
