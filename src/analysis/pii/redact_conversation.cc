#include "analysis/pii/redact_conversation.h"

#include <algorithm>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "analysis/pii/word_spans.h"

namespace parley::analysis::pii {
namespace {

size_t PlaceholderSize(const Finding& f) { return FindingTypeName(f).size() + 2; }

// Where byte `pos` of the old text lands in the redacted text. A position
// inside a replaced span maps to the start of its placeholder (or to its end
// when `is_end`).
size_t MapOffset(size_t pos, const std::vector<Finding>& findings, bool is_end) {
  long long delta = 0;
  for (const Finding& f : findings) {
    if (f.end <= pos) {
      delta += static_cast<long long>(PlaceholderSize(f)) -
               static_cast<long long>(f.end - f.start);
    } else if (f.start < pos) {
      size_t start = static_cast<size_t>(static_cast<long long>(f.start) + delta);
      return is_end ? start + PlaceholderSize(f) : start;
    } else {
      break;
    }
  }
  return static_cast<size_t>(static_cast<long long>(pos) + delta);
}

// Redacts `words` whose byte spans in `source` are `spans`, given the
// findings in `source` (sorted, disjoint). See RedactMessage.
void RedactWords(std::string_view source, const std::vector<ByteSpan>& spans,
                 const std::vector<Finding>& findings,
                 google::protobuf::RepeatedPtrField<core::WordInfo>* words) {
  if (findings.empty()) return;
  google::protobuf::RepeatedPtrField<core::WordInfo> out;
  const size_t w = spans.size();
  size_t k = 0;
  size_t i = 0;
  while (i < w) {
    const auto [ws, we] = spans[i];
    while (k < findings.size() && findings[k].end <= ws) ++k;
    if (k == findings.size() || findings[k].start >= we || ws == we) {
      *out.Add() = std::move((*words)[static_cast<int>(i)]);
      ++i;
      continue;
    }
    // Grow the group while the next word overlaps a finding of the group.
    size_t j = i, group_end = we, k2 = k, findings_end = 0;
    while (true) {
      while (k2 < findings.size() && findings[k2].start < group_end) {
        findings_end = std::max(findings_end, findings[k2].end);
        ++k2;
      }
      if (j + 1 < w && spans[j + 1].first < findings_end) {
        ++j;
        group_end = std::max(group_end, spans[j].second);
        continue;
      }
      break;
    }
    std::vector<Finding> local;
    for (size_t q = k; q < k2; ++q) {
      Finding f = findings[q];
      f.start = std::max(f.start, ws) - ws;
      f.end = std::min(f.end, group_end) - ws;
      if (f.start < f.end) local.push_back(f);
    }
    core::WordInfo merged = std::move((*words)[static_cast<int>(i)]);
    const core::WordInfo& last = (*words)[static_cast<int>(j)];
    if (j > i) {
      if (last.has_end_offset_us()) merged.set_end_offset_us(last.end_offset_us());
      for (size_t q = i + 1; q <= j; ++q) {
        merged.set_confidence(std::min(merged.confidence(), (*words)[static_cast<int>(q)].confidence()));
      }
    }
    merged.set_word(ApplyRedactions(source.substr(ws, group_end - ws), local));
    *out.Add() = std::move(merged);
    i = j + 1;
    k = k2;
  }
  words->Swap(&out);
}


// RedactMessage with `find` giving the findings of a text.
int RedactWith(absl::FunctionRef<std::vector<Finding>(std::string_view)> find,
               core::Message* message) {
  const std::string text = message->text();
  std::vector<Finding> findings = find(text);

  if (message->words_size() > 0) {
    if (auto spans = WordSpans(text, message->words()); spans && !text.empty()) {
      RedactWords(text, *spans, findings, message->mutable_words());
    } else {
      // Words on their own: join them with spaces and redact that.
      std::string joined;
      std::vector<ByteSpan> word_spans;
      for (const core::WordInfo& w : message->words()) {
        if (!joined.empty()) joined.push_back(' ');
        word_spans.emplace_back(joined.size(), joined.size() + w.word().size());
        joined += w.word();
      }
      RedactWords(joined, word_spans, find(joined), message->mutable_words());
    }
  }
  if (findings.empty()) return 0;

  for (core::Redaction& r : *message->mutable_redactions()) {
    r.set_start_byte(static_cast<int32_t>(MapOffset(static_cast<size_t>(r.start_byte()), findings, false)));
    r.set_end_byte(static_cast<int32_t>(MapOffset(static_cast<size_t>(r.end_byte()), findings, true)));
  }
  long long delta = 0;
  for (const Finding& f : findings) {
    core::Redaction* r = message->add_redactions();
    size_t start = static_cast<size_t>(static_cast<long long>(f.start) + delta);
    r->set_start_byte(static_cast<int32_t>(start));
    r->set_end_byte(static_cast<int32_t>(start + PlaceholderSize(f)));
    r->set_info_type(std::string(FindingTypeName(f)));
    delta += static_cast<long long>(PlaceholderSize(f)) - static_cast<long long>(f.end - f.start);
  }
  std::stable_sort(message->mutable_redactions()->begin(), message->mutable_redactions()->end(),
                   [](const core::Redaction& a, const core::Redaction& b) {
                     return a.start_byte() < b.start_byte();
                   });
  message->set_text(ApplyRedactions(text, findings));
  return static_cast<int>(findings.size());
}

}  // namespace

int RedactMessage(const PiiDetector& detector, InfoTypeSet types, core::Message* message,
                  Asked asked) {
  return RedactWith([&](std::string_view t) { return detector.Find(t, types, asked); }, message);
}

int RedactMessage(const PiiDetector& detector, const InspectTemplate* inspect,
                  core::Message* message, Asked asked) {
  if (inspect == nullptr) return RedactMessage(detector, InfoTypeSet::All(), message, asked);
  return RedactWith([&](std::string_view t) { return inspect->Find(detector, t, asked); },
                    message);
}

absl::Status RedactConversation(const PiiDetector& detector,
                                const std::vector<std::string>& info_types,
                                core::Conversation* conversation) {
  absl::StatusOr<InfoTypeSet> types = ParseInfoTypes(info_types);
  if (!types.ok()) return types.status();
  // The questions are read before any message is redacted.
  std::vector<Asked> asked(static_cast<size_t>(conversation->messages_size()));
  for (int i = 0; i < conversation->messages_size(); ++i) asked[i] = AskedBefore(*conversation, i);
  for (int i = 0; i < conversation->messages_size(); ++i) {
    RedactMessage(detector, *types, conversation->mutable_messages(i), asked[i]);
  }
  return absl::OkStatus();
}

}  // namespace parley::analysis::pii
