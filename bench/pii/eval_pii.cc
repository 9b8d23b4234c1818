// eval_pii: precision and recall of the PII detector on Presidio's synthetic
// evaluation set (../shared/data/pii/presidio_synth_dev.json, 750 sentences
// with gold spans in code-point offsets).
//
// The file is split in two by record order: records [0, 375) are the tuning
// half (the only half whose errors may be looked at, with --errors), records
// [375, 750) the held-out half, whose figures are the honest ones. Both
// halves and the whole file are reported.
//
//   eval_pii [--data PATH] [--form written|speech|spoken] [--errors TYPE] [--max-errors N]
//
// --form speech evaluates the recogniser-style form of every sentence
// (lower case, punctuation removed); --form spoken also spells digits out
// ("four one five"). See SpeechForm.
//   eval_pii --abcd DATA LABELS TEMPLATE [--form F] [--no-context]
//                             (hand-labelled ABCD chats; each turn read as the
//                             reply to the other speaker's turn before, unless
//                             --no-context)
//   eval_pii --show TEXT      (the findings in TEXT)
//   eval_pii --lines < FILE   (each line with its findings, tab-separated)
//
// Matching: "exact" needs the same byte span; "overlap" counts a gold span
// as found when a prediction of the same type overlaps it, and a prediction
// as correct when it overlaps a gold span of the same type. Gold labels map
// to DLP types: CREDIT_CARD -> CREDIT_CARD_NUMBER, US_SSN ->
// US_SOCIAL_SECURITY_NUMBER, PERSON -> PERSON_NAME, IBAN_CODE, IP_ADDRESS,
// EMAIL_ADDRESS, PHONE_NUMBER, STREET_ADDRESS unchanged. The set has no
// date-of-birth label: DATE_OF_BIRTH predictions are checked against the
// DATE_TIME spans (precision only). Other labels (ORGANIZATION, GPE, ...)
// have no DLP type here; a prediction on one counts as a false positive.
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "analysis/pii/checksums.h"
#include "analysis/pii/inspect_templates.h"
#include "analysis/pii/name_lists.h"
#include "analysis/pii/scan_util.h"
#include "analysis/pii/speech_form.h"
#include "bench/common/eval_data.h"
#include "analysis/pii/pii_detector.h"

#ifndef PARLEY_PII_DATA
#define PARLEY_PII_DATA "../shared/data/pii/presidio_synth_dev.json"
#endif

namespace {

using parley::bench::CodePointOffsets;
using parley::bench::ReadJsonArray;
using parley::analysis::pii::Finding;
using parley::analysis::pii::InfoType;
using parley::analysis::pii::InfoTypeName;

struct Span {
  std::string type;  // DLP name, or the dataset's label when it has none
  size_t start, end;  // bytes
};

struct Record {
  std::string text;
  std::vector<Span> gold;
};

std::string MapLabel(const std::string& label) {
  static const std::map<std::string, std::string> kMap = {
      {"CREDIT_CARD", "CREDIT_CARD_NUMBER"},
      {"US_SSN", "US_SOCIAL_SECURITY_NUMBER"},
      {"PERSON", "PERSON_NAME"},
      {"IBAN_CODE", "IBAN_CODE"},
      {"IP_ADDRESS", "IP_ADDRESS"},
      {"EMAIL_ADDRESS", "EMAIL_ADDRESS"},
      {"PHONE_NUMBER", "PHONE_NUMBER"},
      {"STREET_ADDRESS", "STREET_ADDRESS"},
  };
  auto it = kMap.find(label);
  return it == kMap.end() ? label : it->second;
}

bool Load(const std::string& path, std::vector<Record>* records) {
  rapidjson::Document doc;
  if (!ReadJsonArray(path, "eval_pii", &doc)) return false;
  for (const auto& r : doc.GetArray()) {
    Record rec;
    rec.text = r["full_text"].GetString();
    std::vector<size_t> offsets = CodePointOffsets(rec.text);
    for (const auto& s : r["spans"].GetArray()) {
      size_t a = s["start_position"].GetUint(), b = s["end_position"].GetUint();
      if (b >= offsets.size()) continue;
      rec.gold.push_back({MapLabel(s["entity_type"].GetString()), offsets[a], offsets[b]});
    }
    records->push_back(std::move(rec));
  }
  return true;
}

// The speech form of a record, as a recogniser would write it: lower case,
// punctuation gone (kept only inside words: "don't", "a.b@c.de", "10.0.0.1"),
// digit separators ("-", "/") as spaces; with `spell`, every all-digit word
// spelled out ("415" -> "four one five"). Gold spans move with their text.
Record SpeechForm(const Record& in, bool spell) {
  static const char* kDigitWords[] = {"zero", "one", "two", "three", "four",
                                      "five", "six", "seven", "eight", "nine"};
  const std::string& t = in.text;
  const size_t n = t.size();
  auto alnum = [&](size_t i) {
    return i < n && (std::isalnum(static_cast<unsigned char>(t[i])) ||
                     static_cast<unsigned char>(t[i]) >= 0x80);
  };
  auto digit = [&](size_t i) { return i < n && t[i] >= '0' && t[i] <= '9'; };
  std::string out;
  std::vector<size_t> map(n + 1);  // output size before byte i
  auto space = [&] {
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
  };
  for (size_t i = 0; i < n; ++i) {
    map[i] = out.size();
    unsigned char c = t[i];
    bool between = i > 0 && alnum(i - 1) && alnum(i + 1);
    if (c >= 0x80) {
      // Lower-case Latin-1, Latin Extended-A and Cyrillic capitals.
      size_t len;
      uint32_t cp = parley::analysis::pii::DecodeUtf8(t, i, &len);
      uint32_t lo = cp;
      if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x410 && cp <= 0x42F)) lo = cp + 0x20;
      if ((cp >= 0x100 && cp <= 0x137 && cp % 2 == 0) || (cp >= 0x139 && cp <= 0x148 && cp % 2) ||
          (cp >= 0x14A && cp <= 0x177 && cp % 2 == 0) || (cp >= 0x179 && cp <= 0x17E && cp % 2)) {
        lo = cp + 1;
      }
      if (len == 2 && lo != cp) {
        out.push_back(static_cast<char>(0xC0 | (lo >> 6)));
        out.push_back(static_cast<char>(0x80 | (lo & 0x3F)));
      } else {
        out.append(t, i, len);
      }
      for (size_t k = 1; k < len && i + k <= n; ++k) map[i + k] = out.size();
      i += len - 1;
    } else if (std::isalpha(c)) {
      out.push_back(static_cast<char>(std::tolower(c)));
    } else if (std::isdigit(c)) {
      bool word_start = i == 0 || !alnum(i - 1);
      size_t j = i;
      while (digit(j)) ++j;
      bool whole = word_start && !alnum(j) && !(j < n && (t[j] == '.' || t[j] == '@') && alnum(j + 1));
      if (spell && whole) {
        // Spell the whole digit run out; its bytes map to the spelled words.
        for (size_t k = i; k < j; ++k) {
          map[k] = out.size();
          if (k > i) out.push_back(' ');
          out += kDigitWords[t[k] - '0'];
        }
        i = j - 1;
      } else {
        out.push_back(static_cast<char>(c));
      }
    } else if (std::isspace(c)) {
      space();
    } else if (between && (c == '.' || c == '@' || c == '_' || c == '\'' || c == ':')) {
      out.push_back(static_cast<char>(c));
    } else if (between && (c == '-' || c == '/') && digit(i - 1) && digit(i + 1)) {
      space();
    } else if (between && c == '-') {
      out.push_back('-');
    } else if (between) {
      space();
    }
    // Any other punctuation is dropped.
  }
  map[n] = out.size();
  Record r;
  r.text = out;
  for (const Span& g : in.gold) {
    size_t a = map[g.start], b = map[g.end];
    while (a < b && out[a] == ' ') ++a;
    while (b > a && out[b - 1] == ' ') --b;
    if (a < b) r.gold.push_back({g.type, a, b});
  }
  return r;
}

struct Counts {
  int gold = 0, pred = 0;
  int exact_tp = 0;
  int gold_overlapped = 0, pred_overlapping = 0;
  int gold_invalid = 0, gold_invalid_found = 0;  // checksum / validity failures
  int card_luhn_fail = 0, card_prefix_fail = 0;   // why card numbers are invalid
};

std::string Digits(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') d.push_back(c);
  }
  return d;
}

// Whether a gold span of a checksummed type fails its check.
bool GoldInvalid(const std::string& type, std::string_view value) {
  using namespace parley::analysis::pii;
  if (type == "CREDIT_CARD_NUMBER") {
    std::string d = Digits(value);
    return !LuhnValid(d) || !KnownCardPrefix(d);
  }
  if (type == "IBAN_CODE") {
    std::string compact;
    for (char c : value) {
      if (c != ' ') compact.push_back(c);
    }
    return !IbanValid(compact);
  }
  if (type == "US_SOCIAL_SECURITY_NUMBER") {
    std::string d = Digits(value);
    if (d.size() != 9) return true;
    return !SsnValid(std::stoi(d.substr(0, 3)), std::stoi(d.substr(3, 2)), std::stoi(d.substr(5)));
  }
  return false;
}

bool Overlaps(size_t a, size_t b, size_t c, size_t d) { return a < d && c < b; }

const char* kTypes[] = {"EMAIL_ADDRESS", "PHONE_NUMBER",  "CREDIT_CARD_NUMBER",
                        "US_SOCIAL_SECURITY_NUMBER", "IBAN_CODE", "IP_ADDRESS",
                        "STREET_ADDRESS", "PERSON_NAME"};

bool IsTarget(const std::string& type) {
  for (const char* t : kTypes) {
    if (type == t) return true;
  }
  return false;
}

// Words (runs of non-space) outside every gold PII span, and how many of
// them no prediction touches.
struct Kept {
  int words = 0, kept = 0;
};
void CountKept(const Record& rec, const std::vector<Finding>& found, Kept* k) {
  const std::string& t = rec.text;
  size_t i = 0;
  while (i < t.size()) {
    if (std::isspace(static_cast<unsigned char>(t[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < t.size() && !std::isspace(static_cast<unsigned char>(t[j]))) ++j;
    bool pii = false;
    for (const Span& g : rec.gold) pii |= IsTarget(g.type) && Overlaps(i, j, g.start, g.end);
    if (!pii) {
      ++k->words;
      bool touched = false;
      for (const Finding& f : found) touched |= Overlaps(i, j, f.start, f.end);
      k->kept += !touched;
    }
    i = j;
  }
}

void Evaluate(const parley::analysis::pii::PiiDetector& detector,
              const std::vector<Record>& records, size_t from, size_t to,
              std::map<std::string, Counts>* counts, Counts* dob, const std::string& errors_type,
              int max_errors, Kept* kept) {
  int printed = 0;
  for (size_t r = from; r < to; ++r) {
    const Record& rec = records[r];
    std::vector<Finding> found = detector.Find(rec.text);
    CountKept(rec, found, kept);
    for (const Span& g : rec.gold) {
      if (!counts->count(g.type)) continue;
      Counts& c = (*counts)[g.type];
      ++c.gold;
      bool invalid = GoldInvalid(g.type, std::string_view(rec.text).substr(g.start, g.end - g.start));
      c.gold_invalid += invalid;
      if (g.type == "CREDIT_CARD_NUMBER") {
        std::string d = Digits(std::string_view(rec.text).substr(g.start, g.end - g.start));
        c.card_luhn_fail += !parley::analysis::pii::LuhnValid(d);
        c.card_prefix_fail += !parley::analysis::pii::KnownCardPrefix(d);
      }
      bool overlapped = false, exact = false;
      for (const Finding& f : found) {
        if (InfoTypeName(f.type) != g.type) continue;
        if (Overlaps(f.start, f.end, g.start, g.end)) overlapped = true;
        if (f.start == g.start && f.end == g.end) exact = true;
      }
      c.gold_overlapped += overlapped;
      c.exact_tp += exact;
      c.gold_invalid_found += invalid && overlapped;
      if (!overlapped && g.type == errors_type && printed < max_errors) {
        ++printed;
        std::printf("MISS  #%zu %s: \"%s\"\n      in: %s\n", r, g.type.c_str(),
                    rec.text.substr(g.start, g.end - g.start).c_str(), rec.text.c_str());
      }
    }
    for (const Finding& f : found) {
      std::string type(InfoTypeName(f.type));
      bool dob_type = f.type == InfoType::kDateOfBirth;
      Counts& c = dob_type ? *dob : (*counts)[type];
      ++c.pred;
      bool hit = false;
      std::string other;
      for (const Span& g : rec.gold) {
        if (!Overlaps(f.start, f.end, g.start, g.end)) continue;
        if (g.type == (dob_type ? std::string("DATE_TIME") : type)) hit = true;
        else other = g.type;
      }
      c.pred_overlapping += hit;
      if (!hit && type == errors_type && printed < max_errors) {
        ++printed;
        std::printf("FP    #%zu %s: \"%s\" (gold there: %s)\n      in: %s\n", r, type.c_str(),
                    rec.text.substr(f.start, f.end - f.start).c_str(),
                    other.empty() ? "none" : other.c_str(), rec.text.c_str());
      }
    }
  }
}

double Ratio(int a, int b) { return b == 0 ? 0.0 : static_cast<double>(a) / b; }

void Report(const char* title, const std::map<std::string, Counts>& counts, const Counts& dob,
            const Kept& kept) {
  std::printf("\n### %s\n\n", title);
  std::printf("| type | gold | predicted | P exact | R exact | P overlap | R overlap | gold invalid | R on valid gold |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const char* t : kTypes) {
    const Counts& c = counts.at(t);
    std::string invalid = "-", valid_recall = "-";
    if (std::string(t) == "CREDIT_CARD_NUMBER" || std::string(t) == "IBAN_CODE" ||
        std::string(t) == "US_SOCIAL_SECURITY_NUMBER") {
      invalid = std::to_string(c.gold_invalid);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f",
                    Ratio(c.gold_overlapped - c.gold_invalid_found, c.gold - c.gold_invalid));
      valid_recall = buf;
    }
    std::printf("| %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %s | %s |\n", t, c.gold, c.pred,
                Ratio(c.exact_tp, c.pred), Ratio(c.exact_tp, c.gold),
                Ratio(c.pred_overlapping, c.pred), Ratio(c.gold_overlapped, c.gold),
                invalid.c_str(), valid_recall.c_str());
  }
  std::printf("| DATE_OF_BIRTH (vs DATE_TIME) | - | %d | - | - | %.3f | - | - | - |\n", dob.pred,
              Ratio(dob.pred_overlapping, dob.pred));
  const Counts& cards = counts.at("CREDIT_CARD_NUMBER");
  std::printf("\nGold card numbers failing the Luhn check: %d; with no known issuer prefix for "
              "their length: %d.\n",
              cards.card_luhn_fail, cards.card_prefix_fail);
  std::printf("Non-PII words kept: %d of %d = %.3f.\n", kept.kept, kept.words,
              Ratio(kept.kept, kept.words));
}

// ABCD chats with hand labels (bench/pii/abcd_labels.tsv): recall per type
// over every non-action turn, in the chosen form, with an inspect template
// for the custom types; every turn's non-PII words count for "kept".
int EvaluateAbcd(const std::string& data, const std::string& labels_path,
                 const std::string& template_path, const std::string& form, bool context) {
  rapidjson::Document doc;
  if (!ReadJsonArray(data, "eval_pii", &doc)) return 1;
  std::ifstream tf(template_path);
  std::stringstream ts;
  ts << tf.rdbuf();
  auto tmpl = parley::analysis::pii::InspectTemplate::Parse(ts.str());
  if (!tmpl.ok()) {
    std::fprintf(stderr, "eval_pii: %s: %s\n", template_path.c_str(),
                 std::string(tmpl.status().message()).c_str());
    return 1;
  }
  std::map<std::pair<int, int>, Record> turns;  // (convo, turn) -> record
  // What each turn answers (the other speaker's turn before), unless
  // --no-context: read from a core::Conversation of the chat's turns.
  std::map<std::pair<int, int>, parley::analysis::pii::Asked> asked;
  for (const auto& c : doc.GetArray()) {
    int id = c["convo_id"].GetInt();
    const auto& original = c["original"].GetArray();
    parley::core::Conversation convo;
    std::vector<int> index;
    for (rapidjson::SizeType i = 0; i < original.Size(); ++i) {
      const std::string speaker = original[i][0].GetString();
      if (speaker == "action") continue;
      turns[{id, static_cast<int>(i)}].text = original[i][1].GetString();
      parley::core::Message* m = convo.add_messages();
      m->set_text(original[i][1].GetString());
      m->set_role(speaker == "agent" ? parley::core::HUMAN_AGENT : parley::core::END_USER);
      index.push_back(static_cast<int>(i));
    }
    for (int k = 0; k < convo.messages_size(); ++k) {
      asked[{id, index[k]}] = context ? parley::analysis::pii::AskedBefore(convo, k)
                                      : parley::analysis::pii::Asked::kNothing;
    }
  }
  std::ifstream lf(labels_path);
  std::string line;
  while (std::getline(lf, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    int id, turn;
    std::string type;
    size_t a, b;
    ls >> id >> turn >> type >> a >> b;
    turns[{id, turn}].gold.push_back({type, a, b});
  }
  const parley::analysis::pii::PiiDetector detector;
  std::map<std::string, std::pair<int, int>> recall;  // type -> (found, gold)
  Kept kept;
  int predicted = 0, wrong = 0;
  for (auto& [key, rec0] : turns) {
    Record rec = form == "written" ? rec0 : SpeechForm(rec0, form == "spoken");
    std::vector<Finding> found = tmpl->Find(detector, rec.text, asked[key]);
    for (const Span& g : rec.gold) {
      bool hit = false;
      for (const Finding& f : found) {
        hit |= std::string(parley::analysis::pii::FindingTypeName(f)) == g.type &&
               Overlaps(f.start, f.end, g.start, g.end);
      }
      recall[g.type].first += hit;
      recall[g.type].second += 1;
    }
    for (const Finding& f : found) {
      ++predicted;
      bool ok = false;
      for (const Span& g : rec.gold) ok |= Overlaps(f.start, f.end, g.start, g.end);
      if (!ok) {
        ++wrong;
        std::printf("FP    %s: \"%s\" in: %s\n",
                    std::string(parley::analysis::pii::FindingTypeName(f)).c_str(),
                    rec.text.substr(f.start, f.end - f.start).c_str(), rec.text.c_str());
      }
    }
    // Gold types are targets here whatever their name.
    Record any = rec;
    for (Span& g : any.gold) g.type = "PERSON_NAME";
    CountKept(any, found, &kept);
  }
  std::printf("\n### ABCD chats, %s form (%zu turns)\n\n| type | gold | found | recall |\n|---|---:|---:|---:|\n",
              form.c_str(), turns.size());
  for (const auto& [type, fg] : recall) {
    std::printf("| %s | %d | %d | %.3f |\n", type.c_str(), fg.second, fg.first,
                Ratio(fg.first, fg.second));
  }
  std::printf("\nPredictions: %d, on no gold span: %d. Non-PII words kept: %d of %d = %.3f.\n",
              predicted, wrong, kept.kept, kept.words, Ratio(kept.kept, kept.words));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = PARLEY_PII_DATA;
  std::string errors_type;
  std::string form = "written";
  int max_errors = 50;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      path = argv[++i];
    } else if (a == "--errors" && i + 1 < argc) {
      errors_type = argv[++i];
    } else if (a == "--form" && i + 1 < argc) {
      form = argv[++i];
      if (form != "written" && form != "speech" && form != "spoken") {
        std::fprintf(stderr, "eval_pii: --form is written, speech or spoken\n");
        return 2;
      }
    } else if (a == "--abcd" && i + 3 < argc) {
      // --abcd DATA LABELS TEMPLATE [--form F] must come last but for --form.
      std::string data = argv[i + 1], labels = argv[i + 2], tmpl = argv[i + 3];
      bool context = true;
      for (int k = i + 4; k < argc; ++k) {
        if (std::string(argv[k]) == "--form" && k + 1 < argc) form = argv[k + 1];
        if (std::string(argv[k]) == "--no-context") context = false;
      }
      return EvaluateAbcd(data, labels, tmpl, form, context);
    } else if (a == "--max-errors" && i + 1 < argc) {
      max_errors = std::stoi(argv[++i]);
    } else if (a == "--lines") {  // each stdin line: its findings, for checking a dev set
      const parley::analysis::pii::PiiDetector detector;
      std::string line;
      while (std::getline(std::cin, line)) {
        std::printf("%s", line.c_str());
        for (const Finding& f : detector.Find(line)) {
          std::printf("\t%s:%s", std::string(InfoTypeName(f.type)).c_str(),
                      line.substr(f.start, f.end - f.start).c_str());
        }
        std::printf("\n");
      }
      return 0;
    } else if (a == "--show" && i + 1 < argc) {  // findings in one text, for debugging
      const parley::analysis::pii::PiiDetector detector;
      std::string text = argv[++i];
      parley::analysis::pii::SpeechView view;
      if (view.Build(text, parley::analysis::pii::NameGazetteer::Default())) {
        std::printf("speech view: %s\n", view.text().c_str());
      }
      for (const Finding& f : detector.Find(text)) {
        std::printf("%s [%zu, %zu) %.2f \"%s\"\n", std::string(InfoTypeName(f.type)).c_str(),
                    f.start, f.end, f.likelihood, text.substr(f.start, f.end - f.start).c_str());
      }
      return 0;
    } else {
      std::fprintf(stderr, "usage: eval_pii [--data PATH] [--errors TYPE] [--max-errors N]\n");
      return 2;
    }
  }
  std::vector<Record> records;
  if (!Load(path, &records)) {
    std::fprintf(stderr,
                 "eval_pii: cannot read the evaluation set %s\n"
                 "  It lives in the shared data folder beside the repository "
                 "(../shared/data/pii/presidio_synth_dev.json); pass --data PATH if it is "
                 "elsewhere.\n",
                 path.c_str());
    return 1;
  }
  if (form != "written") {
    for (Record& r : records) r = SpeechForm(r, form == "spoken");
  }
  const parley::analysis::pii::PiiDetector detector;
  const size_t half = records.size() / 2;
  auto fresh = [] {
    std::map<std::string, Counts> m;
    for (const char* t : kTypes) m[t];
    return m;
  };
  std::printf("eval_pii: %s, %zu records, %s form; tuning half [0, %zu), held-out half [%zu, %zu)\n",
              path.c_str(), records.size(), form.c_str(), half, half, records.size());
  if (!errors_type.empty()) {
    // Errors are shown for the tuning half only: the held-out half stays unseen.
    auto c = fresh();
    Counts dob;
    Kept kept;
    Evaluate(detector, records, 0, half, &c, &dob, errors_type, max_errors, &kept);
    return 0;
  }
  struct Part {
    std::string title;
    size_t from, to;
  } parts[] = {
      {"Tuning half (records 0-" + std::to_string(half - 1) + ")", 0, half},
      {"Held-out half (records " + std::to_string(half) + "-" +
           std::to_string(records.size() - 1) + ")",
       half, records.size()},
      {"Whole file", 0, records.size()}};
  for (const Part& p : parts) {
    auto c = fresh();
    Counts dob;
    Kept kept;
    Evaluate(detector, records, p.from, p.to, &c, &dob, "", 0, &kept);
    Report(p.title.c_str(), c, dob, kept);
  }
  return 0;
}
