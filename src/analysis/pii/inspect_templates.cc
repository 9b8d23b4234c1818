#include "analysis/pii/inspect_templates.h"

#include <re2/re2.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "analysis/pii/scan_util.h"
#include "core/read_file.h"

namespace parley::analysis::pii {
namespace {

using rapidjson::Value;

// DLP likelihoods as Finding likelihoods.
constexpr std::pair<std::string_view, float> kLikelihoods[] = {
    {"VERY_UNLIKELY", 0.1f}, {"UNLIKELY", 0.25f}, {"POSSIBLE", 0.5f},
    {"LIKELY", 0.75f},       {"VERY_LIKELY", 0.9f}};

absl::Status Invalid(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

absl::StatusOr<float> ParseLikelihood(const Value& v, const std::string& where) {
  if (!v.IsString()) return Invalid(where, "must be a likelihood name");
  std::string_view s(v.GetString(), v.GetStringLength());
  for (const auto& [name, value] : kLikelihoods) {
    if (s == name) return value;
  }
  if (s == "LIKELIHOOD_UNSPECIFIED") return 0.5f;
  return Invalid(where, absl::StrCat("unknown likelihood \"", std::string(s),
                                     "\"; known: VERY_UNLIKELY, UNLIKELY, POSSIBLE, LIKELY, "
                                     "VERY_LIKELY"));
}

// One likelihood step up or down from `l`, `steps` times, within the scale.
float Shift(float l, int steps) {
  int i = 0;
  for (int k = 0; k < 5; ++k) {
    if (kLikelihoods[k].second <= l + 1e-6f) i = k;
  }
  i = std::clamp(i + steps, 0, 4);
  return kLikelihoods[i].second;
}

const Value* Member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

absl::StatusOr<std::unique_ptr<re2::RE2>> Compile(const Value* pattern, const std::string& where) {
  if (pattern == nullptr || !pattern->IsString() || pattern->GetStringLength() == 0) {
    return Invalid(where, "pattern must be a non-empty string");
  }
  if (pattern->GetStringLength() > kMaxPatternBytes) {
    return Invalid(where, absl::StrCat("pattern is longer than ", kMaxPatternBytes, " bytes"));
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(
      re2::StringPiece(pattern->GetString(), pattern->GetStringLength()), options);
  if (!re->ok()) return Invalid(where, absl::StrCat("pattern does not compile: ", re->error()));
  return re;
}

absl::StatusOr<size_t> Window(const Value* proximity, const char* field,
                              const std::string& where) {
  const Value* v = proximity ? Member(*proximity, field) : nullptr;
  if (v == nullptr) return 0;
  if (!v->IsInt() || v->GetInt() < 0 || v->GetInt() > 1000) {
    return Invalid(absl::StrCat(where, ".proximity.", field), "must be an integer in [0, 1000]");
  }
  return static_cast<size_t>(v->GetInt());
}

bool WordBoundaryBefore(std::string_view text, size_t i) { return !IsWordCharBefore(text, i); }
bool WordBoundaryAfter(std::string_view text, size_t i) { return !IsWordCharAt(text, i); }

}  // namespace

CustomInfoType::CustomInfoType() = default;
CustomInfoType::~CustomInfoType() = default;
CustomInfoType::CustomInfoType(CustomInfoType&&) noexcept = default;
CustomInfoType& CustomInfoType::operator=(CustomInfoType&&) noexcept = default;

bool CustomInfoType::HasHotword(const Hotword& h, std::string_view text, size_t start,
                                size_t end) const {
  size_t from = start > h.window_before ? start - h.window_before : 0;
  re2::StringPiece before(text.data() + from, start - from);
  if (h.window_before > 0 && re2::RE2::PartialMatch(before, *h.regex)) return true;
  size_t to = std::min(text.size(), end + h.window_after);
  re2::StringPiece after(text.data() + end, to - end);
  return h.window_after > 0 && re2::RE2::PartialMatch(after, *h.regex);
}

void CustomInfoType::Find(std::string_view text, std::vector<Finding>* out) const {
  auto add = [&](size_t start, size_t end) {
    float l = likelihood_;
    for (const Hotword& h : hotwords_) {
      if (!HasHotword(h, text, start, end)) continue;
      l = h.fixed > 0 ? h.fixed : Shift(l, h.relative);
    }
    out->push_back({InfoType::kCustom, start, end, l, name_});
  };
  if (regex_) {
    re2::StringPiece input(text.data(), text.size());
    re2::StringPiece groups[10];
    const int n = group_ + 1;
    size_t pos = 0;
    while (pos <= text.size() &&
           regex_->Match(input, pos, text.size(), re2::RE2::UNANCHORED, groups, n)) {
      const re2::StringPiece& whole = groups[0];
      const re2::StringPiece& g = groups[group_];
      if (g.data() != nullptr && !g.empty()) {
        size_t s = static_cast<size_t>(g.data() - text.data());
        add(s, s + g.size());
      }
      size_t next = static_cast<size_t>(whole.data() - text.data()) + whole.size();
      pos = whole.empty() ? next + 1 : next;
    }
  }
  if (!words_.empty()) {
    thread_local std::string lower;
    lower.assign(text);
    for (char& c : lower) c = ToLowerAscii(c);
    for (const std::string& w : words_) {
      for (size_t at = lower.find(w); at != std::string::npos; at = lower.find(w, at + 1)) {
        if (WordBoundaryBefore(text, at) && WordBoundaryAfter(text, at + w.size())) {
          add(at, at + w.size());
        }
      }
    }
  }
}

absl::StatusOr<InspectTemplate> InspectTemplate::Parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError("inspect template: not a JSON object");
  }
  InspectTemplate t;
  const Value* name = Member(doc, "name");
  if (name == nullptr || !name->IsString() || name->GetStringLength() == 0) {
    return absl::InvalidArgumentError("inspect template: name is required");
  }
  t.name_.assign(name->GetString(), name->GetStringLength());
  if (t.name_.rfind("projects/", 0) != 0 ||
      t.name_.find("/inspectTemplates/") == std::string::npos) {
    return Invalid(t.name_,
                   "name is not projects/{project}/locations/{location}/inspectTemplates/{id}");
  }
  const std::string where = t.name_;
  const Value* config = Member(doc, "inspectConfig");
  if (config == nullptr) return t;
  if (!config->IsObject()) return Invalid(where, "inspectConfig must be an object");
  if (const Value* types = Member(*config, "infoTypes")) {
    if (!types->IsArray()) return Invalid(where, "inspectConfig.infoTypes must be an array");
    std::vector<std::string> names;
    for (const Value& it : types->GetArray()) {
      const Value* n = Member(it, "name");
      if (n == nullptr || !n->IsString()) return Invalid(where, "infoTypes[].name is required");
      names.emplace_back(n->GetString(), n->GetStringLength());
    }
    absl::StatusOr<InfoTypeSet> set = ParseInfoTypes(names);
    if (!set.ok()) return Invalid(where, std::string(set.status().message()));
    t.builtin_ = *set;
  }
  if (const Value* min = Member(*config, "minLikelihood")) {
    absl::StatusOr<float> l = ParseLikelihood(*min, where + ": minLikelihood");
    if (!l.ok()) return l.status();
    t.min_likelihood_ = *l;
  }
  const Value* customs = Member(*config, "customInfoTypes");
  if (customs == nullptr) return t;
  if (!customs->IsArray()) return Invalid(where, "customInfoTypes must be an array");
  if (customs->Size() > kMaxCustomInfoTypes) {
    return Invalid(where, absl::StrCat("more than ", kMaxCustomInfoTypes, " customInfoTypes"));
  }
  for (rapidjson::SizeType i = 0; i < customs->Size(); ++i) {
    const Value& c = (*customs)[i];
    const std::string at = absl::StrCat(where, ": customInfoTypes[", i, "]");
    CustomInfoType ct;
    const Value* info = Member(c, "infoType");
    const Value* n = info ? Member(*info, "name") : nullptr;
    if (n == nullptr || !n->IsString() || n->GetStringLength() == 0) {
      return Invalid(at, "infoType.name is required");
    }
    ct.name_.assign(n->GetString(), n->GetStringLength());
    for (char ch : ct.name_) {
      if (!IsAsciiAlnum(ch) && ch != '_') {
        return Invalid(at, "infoType.name may hold only letters, digits and '_'");
      }
    }
    if (InfoTypeFromName(ct.name_)) {
      return Invalid(at, absl::StrCat("infoType.name \"", ct.name_, "\" is a built-in type"));
    }
    const Value* regex = Member(c, "regex");
    const Value* dict = Member(c, "dictionary");
    if ((regex == nullptr) == (dict == nullptr)) {
      return Invalid(at, "exactly one of regex and dictionary is required");
    }
    if (regex != nullptr) {
      auto re = Compile(Member(*regex, "pattern"), at + ".regex");
      if (!re.ok()) return re.status();
      ct.regex_ = std::move(*re);
      if (const Value* g = Member(*regex, "groupIndexes")) {
        if (!g->IsArray() || g->Size() > 1 || (g->Size() == 1 && !(*g)[0].IsInt())) {
          return Invalid(at, "regex.groupIndexes must hold at most one integer");
        }
        if (g->Size() == 1) ct.group_ = (*g)[0].GetInt();
        if (ct.group_ < 0 || ct.group_ > ct.regex_->NumberOfCapturingGroups() || ct.group_ > 9) {
          return Invalid(at, "regex.groupIndexes names no group of the pattern");
        }
      }
    } else {
      const Value* list = Member(*dict, "wordList");
      const Value* words = list ? Member(*list, "words") : nullptr;
      if (words == nullptr || !words->IsArray() || words->Empty()) {
        return Invalid(at, "dictionary.wordList.words must be a non-empty array");
      }
      if (words->Size() > kMaxDictionaryWords) {
        return Invalid(at, absl::StrCat("more than ", kMaxDictionaryWords, " dictionary words"));
      }
      for (const Value& w : words->GetArray()) {
        if (!w.IsString() || w.GetStringLength() == 0) {
          return Invalid(at, "dictionary words must be non-empty strings");
        }
        std::string lower(w.GetString(), w.GetStringLength());
        for (char& ch : lower) ch = ToLowerAscii(ch);
        ct.words_.push_back(std::move(lower));
      }
    }
    if (const Value* l = Member(c, "likelihood")) {
      auto v = ParseLikelihood(*l, at + ".likelihood");
      if (!v.ok()) return v.status();
      ct.likelihood_ = *v;
    }
    if (const Value* rules = Member(c, "detectionRules")) {
      if (!rules->IsArray()) return Invalid(at, "detectionRules must be an array");
      for (const Value& r : rules->GetArray()) {
        const Value* hw = Member(r, "hotwordRule");
        if (hw == nullptr) return Invalid(at, "detectionRules[] supports hotwordRule only");
        CustomInfoType::Hotword h;
        const Value* hr = Member(*hw, "hotwordRegex");
        auto re = Compile(hr ? Member(*hr, "pattern") : nullptr, at + ".hotwordRule.hotwordRegex");
        if (!re.ok()) return re.status();
        h.regex = std::move(*re);
        const Value* prox = Member(*hw, "proximity");
        auto before = Window(prox, "windowBefore", at + ".hotwordRule");
        if (!before.ok()) return before.status();
        auto after = Window(prox, "windowAfter", at + ".hotwordRule");
        if (!after.ok()) return after.status();
        h.window_before = *before;
        h.window_after = *after;
        if (h.window_before == 0 && h.window_after == 0) {
          return Invalid(at, "hotwordRule.proximity needs windowBefore or windowAfter");
        }
        const Value* adj = Member(*hw, "likelihoodAdjustment");
        if (const Value* fixed = adj ? Member(*adj, "fixedLikelihood") : nullptr) {
          auto v = ParseLikelihood(*fixed, at + ".hotwordRule.likelihoodAdjustment");
          if (!v.ok()) return v.status();
          h.fixed = *v;
        } else if (const Value* rel = adj ? Member(*adj, "relativeLikelihood") : nullptr) {
          if (!rel->IsInt()) return Invalid(at, "relativeLikelihood must be an integer");
          h.relative = rel->GetInt();
        } else {
          return Invalid(at, "hotwordRule.likelihoodAdjustment is required");
        }
        ct.hotwords_.push_back(std::move(h));
      }
    }
    t.custom_.push_back(std::move(ct));
  }
  return t;
}

std::vector<Finding> InspectTemplate::Find(const PiiDetector& detector, std::string_view text,
                                           Asked asked) const {
  std::vector<Finding> all = detector.Find(text, builtin_, asked);
  if (custom_.empty()) return all;
  const size_t builtin = all.size();
  for (const CustomInfoType& c : custom_) c.Find(text, &all);
  all.erase(std::remove_if(all.begin() + static_cast<long>(builtin), all.end(),
                           [&](const Finding& f) { return f.likelihood + 1e-6f < min_likelihood_; }),
            all.end());
  return ResolveOverlaps(std::move(all));
}

absl::StatusOr<InspectTemplates> InspectTemplates::Parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return absl::InvalidArgumentError("inspect templates: not JSON");
  const Value* list = Member(doc, "inspectTemplates");
  if (list == nullptr || !list->IsArray()) {
    return absl::InvalidArgumentError("inspect templates: {\"inspectTemplates\": [...]} expected");
  }
  if (list->Size() > kMaxInspectTemplates) {
    return absl::InvalidArgumentError(
        absl::StrCat("inspect templates: more than ", kMaxInspectTemplates, " templates"));
  }
  InspectTemplates out;
  for (const Value& v : list->GetArray()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    v.Accept(writer);
    auto t = InspectTemplate::Parse(std::string_view(buf.GetString(), buf.GetSize()));
    if (!t.ok()) return t.status();
    if (out.by_name_.contains(t->name())) {
      return Invalid(t->name(), "template defined twice");
    }
    out.templates_.push_back(std::make_unique<InspectTemplate>(std::move(*t)));
    out.by_name_[out.templates_.back()->name()] = out.templates_.back().get();
  }
  return out;
}

absl::StatusOr<InspectTemplates> InspectTemplates::Load(const std::string& path) {
  absl::StatusOr<std::string> text = core::ReadFile(path, kMaxFileBytes);
  if (!text.ok()) return text.status();
  return Parse(*text);
}

const InspectTemplate* InspectTemplates::Get(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace parley::analysis::pii
