// eval_entities: precision, recall and F1 of the entity recognizer on two
// labelled sets in the shared data folder (never copied into the repository):
//
//  * WNUT-17 emerging entities, dev file (../shared/data/wnut17/
//    emerging.dev.conll, 1,009 sentences of noisy user text, one token per
//    line, BIO tags). The text given to the recognizer is the tokens joined
//    by single spaces. Labels: person -> PERSON, location -> LOCATION,
//    corporation -> ORGANIZATION, group -> ORGANIZATION, product ->
//    CONSUMER_GOOD, creative-work -> WORK_OF_ART.
//    Split by sentence order: [0, N/2) tuning, [N/2, N) held out.
//  * NLU++ banking (../shared/data/nlupp/banking_fold0..9.json, slot spans in
//    code points). Slots: amount_of_money -> PRICE; date, date_from, date_to
//    -> DATE; person_name -> PERSON; company_name -> ORGANIZATION; number ->
//    NUMBER. The other slots (date_period, time*, shopping_category, ...)
//    name things that have no entity type here: a prediction overlapping one
//    is neither right nor wrong and is left out.
//    Split by fold: folds 0-4 tuning, folds 5-9 held out.
//
// Scoring is entity-level with exact spans: a prediction is right when a
// gold entity has the same byte span and type. Only predictions of the types
// a set labels are scored (WNUT-17 has no dates, so a DATE prediction there
// is not counted against us); "untyped" scores spans alone, over the same
// predictions plus OTHER and EVENT (WNUT-17) or over all (NLU++).
//
//   eval_entities [--wnut PATH] [--nlupp DIR]
//   eval_entities --errors SET TYPE [--max-errors N]   (tuning part only)
//   eval_entities --show TEXT
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "analysis/entities/entity_recognizer.h"
#include "bench/common/eval_data.h"

#ifndef PARLEY_DATA_DIR
#define PARLEY_DATA_DIR "../shared/data"
#endif

namespace {

using parley::bench::CodePointOffsets;
using parley::bench::ReadJsonArray;
using parley::analysis::entities::EntityFinding;
using parley::analysis::entities::EntityRecognizer;
using parley::analysis::entities::EntityType;
using parley::analysis::entities::EntityTypeName;

struct Span {
  std::string type;  // Google type name, or "" for an unscored slot
  size_t start, end;
};

struct Record {
  std::string text;
  std::vector<Span> gold;
};

struct Set {
  std::string name;
  std::vector<Record> records;
  size_t tuning_end = 0;  // records [0, tuning_end) are the tuning part
  std::vector<std::string> types;  // scored types
  std::set<std::string> untyped_extra;  // also counted in the untyped score
};

bool LoadWnut(const std::string& path, Set* set) {
  std::ifstream in(path);
  if (!in) return false;
  static const std::map<std::string, std::string> kMap = {
      {"person", "PERSON"},          {"location", "LOCATION"},
      {"corporation", "ORGANIZATION"}, {"group", "ORGANIZATION"},
      {"product", "CONSUMER_GOOD"},  {"creative-work", "WORK_OF_ART"}};
  Record rec;
  std::string line, open_type;
  size_t open_start = 0, last_end = 0;
  auto close = [&] {
    if (!open_type.empty()) rec.gold.push_back({open_type, open_start, last_end});
    open_type.clear();
  };
  auto flush = [&] {
    close();
    if (!rec.text.empty()) set->records.push_back(std::move(rec));
    rec = Record();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      flush();
      continue;
    }
    size_t tab = line.rfind('\t');
    if (tab == std::string::npos) continue;
    std::string token = line.substr(0, line.find('\t')), tag = line.substr(tab + 1);
    if (!rec.text.empty()) rec.text.push_back(' ');
    size_t start = rec.text.size();
    rec.text += token;
    if (tag.size() > 2 && tag[0] == 'I' && !open_type.empty()) {
      last_end = rec.text.size();
      continue;
    }
    close();
    if (tag.size() > 2 && (tag[0] == 'B' || tag[0] == 'I')) {
      auto it = kMap.find(tag.substr(2));
      if (it != kMap.end()) {
        open_type = it->second;
        open_start = start;
        last_end = rec.text.size();
      }
    }
  }
  flush();
  set->name = "WNUT-17 dev";
  set->tuning_end = set->records.size() / 2;
  set->types = {"PERSON", "LOCATION", "ORGANIZATION", "CONSUMER_GOOD", "WORK_OF_ART"};
  set->untyped_extra = {"OTHER", "EVENT"};
  return true;
}

bool LoadNlupp(const std::string& dir, Set* set) {
  static const std::map<std::string, std::string> kMap = {
      {"amount_of_money", "PRICE"}, {"date", "DATE"},          {"date_from", "DATE"},
      {"date_to", "DATE"},          {"person_name", "PERSON"}, {"company_name", "ORGANIZATION"},
      {"number", "NUMBER"}};
  for (int fold = 0; fold < 10; ++fold) {
    std::string path = dir + "/banking_fold" + std::to_string(fold) + ".json";
    rapidjson::Document doc;
    if (!ReadJsonArray(path, "eval_entities", &doc)) return false;
    for (const auto& r : doc.GetArray()) {
      Record rec;
      rec.text = r["text"].GetString();
      std::vector<size_t> offsets = CodePointOffsets(rec.text);
      if (r.HasMember("slots")) {
        for (const auto& s : r["slots"].GetObject()) {
          if (!s.value.HasMember("span")) continue;
          const auto& span = s.value["span"].GetArray();
          size_t a = span[0].GetUint(), b = span[1].GetUint();
          if (b >= offsets.size() || a >= b) continue;
          auto it = kMap.find(s.name.GetString());
          rec.gold.push_back({it == kMap.end() ? "" : it->second, offsets[a], offsets[b]});
        }
      }
      set->records.push_back(std::move(rec));
    }
    if (fold == 4) set->tuning_end = set->records.size();
  }
  set->name = "NLU++ banking";
  set->types = {"PRICE", "DATE", "PERSON", "ORGANIZATION", "NUMBER"};
  return true;
}

struct Counts {
  int gold = 0, pred = 0, tp = 0;
};

double F1(const Counts& c) {
  double p = c.pred ? static_cast<double>(c.tp) / c.pred : 0;
  double r = c.gold ? static_cast<double>(c.tp) / c.gold : 0;
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

bool Overlaps(size_t a, size_t b, size_t c, size_t d) { return a < d && c < b; }

struct Result {
  std::map<std::string, Counts> by_type;
  Counts all, untyped;
};

// Scores records [from, to). With `errors_type` set, prints that type's misses
// and false positives.
Result Evaluate(const EntityRecognizer& recognizer, const Set& set, size_t from, size_t to,
                const std::string& errors_type, int max_errors) {
  Result res;
  int printed = 0;
  std::set<std::string> scored(set.types.begin(), set.types.end());
  for (size_t r = from; r < to; ++r) {
    const Record& rec = set.records[r];
    std::vector<EntityFinding> found = recognizer.Find(rec.text);
    // Predictions that count: scored types, not overlapping an unscored slot.
    std::vector<std::pair<std::string, const EntityFinding*>> preds;
    std::vector<const EntityFinding*> untyped_preds;
    for (const EntityFinding& f : found) {
      std::string type(EntityTypeName(f.type));
      bool ignored = false;
      for (const Span& g : rec.gold) {
        if (g.type.empty() && Overlaps(f.start, f.end, g.start, g.end)) ignored = true;
      }
      if (ignored) continue;
      if (scored.count(type)) preds.emplace_back(type, &f);
      if (scored.count(type) || set.untyped_extra.count(type) || set.untyped_extra.empty())
        untyped_preds.push_back(&f);
    }
    for (const Span& g : rec.gold) {
      if (g.type.empty()) continue;
      Counts& c = res.by_type[g.type];
      ++c.gold;
      ++res.all.gold;
      ++res.untyped.gold;
      bool hit = false, span_hit = false;
      for (const auto& [type, f] : preds) hit |= type == g.type && f->start == g.start && f->end == g.end;
      for (const EntityFinding* f : untyped_preds) span_hit |= f->start == g.start && f->end == g.end;
      c.tp += hit;
      res.all.tp += hit;
      res.untyped.tp += span_hit;
      if (!hit && g.type == errors_type && printed < max_errors) {
        ++printed;
        std::string got;
        for (const EntityFinding& f : found) {
          if (Overlaps(f.start, f.end, g.start, g.end)) {
            got += " " + std::string(EntityTypeName(f.type)) + ":\"" +
                   rec.text.substr(f.start, f.end - f.start) + "\"";
          }
        }
        std::printf("MISS #%zu %s \"%s\" (found:%s)\n     %s\n", r, g.type.c_str(),
                    rec.text.substr(g.start, g.end - g.start).c_str(),
                    got.empty() ? " nothing" : got.c_str(), rec.text.c_str());
      }
    }
    for (const auto& [type, f] : preds) {
      ++res.by_type[type].pred;
      ++res.all.pred;
      bool hit = false;
      std::string there;
      for (const Span& g : rec.gold) {
        if (g.type == type && g.start == f->start && g.end == f->end) hit = true;
        if (Overlaps(f->start, f->end, g.start, g.end)) {
          there += " " + g.type + ":\"" + rec.text.substr(g.start, g.end - g.start) + "\"";
        }
      }
      if (!hit && type == errors_type && printed < max_errors) {
        ++printed;
        std::printf("FP   #%zu %s \"%s\" (gold there:%s)\n     %s\n", r, type.c_str(),
                    rec.text.substr(f->start, f->end - f->start).c_str(),
                    there.empty() ? " nothing" : there.c_str(), rec.text.c_str());
      }
    }
    res.untyped.pred += static_cast<int>(untyped_preds.size());
  }
  return res;
}

void Row(const char* name, const Counts& c) {
  double p = c.pred ? static_cast<double>(c.tp) / c.pred : 0;
  double r = c.gold ? static_cast<double>(c.tp) / c.gold : 0;
  std::printf("| %s | %d | %d | %d | %.3f | %.3f | %.3f |\n", name, c.gold, c.pred, c.tp, p, r,
              F1(c));
}

void Report(const Set& set, const char* part, const Result& res) {
  std::printf("\n### %s — %s\n\n", set.name.c_str(), part);
  std::printf("| type | gold | predicted | correct | P | R | F1 |\n|---|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string& t : set.types) {
    auto it = res.by_type.find(t);
    Row(t.c_str(), it == res.by_type.end() ? Counts{} : it->second);
  }
  Row("**all (typed, micro)**", res.all);
  Row("untyped spans", res.untyped);
}

}  // namespace

int main(int argc, char** argv) {
  std::string wnut = std::string(PARLEY_DATA_DIR) + "/wnut17/emerging.dev.conll";
  std::string nlupp = std::string(PARLEY_DATA_DIR) + "/nlupp";
  std::string errors_set, errors_type;
  int max_errors = 60;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--wnut" && i + 1 < argc) {
      wnut = argv[++i];
    } else if (a == "--nlupp" && i + 1 < argc) {
      nlupp = argv[++i];
    } else if (a == "--errors" && i + 2 < argc) {
      errors_set = argv[++i];
      errors_type = argv[++i];
    } else if (a == "--max-errors" && i + 1 < argc) {
      max_errors = std::atoi(argv[++i]);
    } else if (a == "--show" && i + 1 < argc) {
      const EntityRecognizer recognizer;
      std::string text = argv[++i];
      for (const EntityFinding& f : recognizer.Find(text)) {
        std::printf("%s [%u, %u) %.2f \"%s\"", std::string(EntityTypeName(f.type)).c_str(),
                    f.start, f.end, f.confidence, text.substr(f.start, f.end - f.start).c_str());
        if (f.year || f.month || f.day) std::printf(" y=%d m=%d d=%d", f.year, f.month, f.day);
        if (!f.currency.empty()) std::printf(" currency=%s", f.currency.c_str());
        if (!f.value.empty()) std::printf(" value=%s", f.value.c_str());
        std::printf("\n");
      }
      return 0;
    } else {
      std::fprintf(stderr,
                   "usage: eval_entities [--wnut PATH] [--nlupp DIR] [--errors wnut|nlupp TYPE] "
                   "[--max-errors N] | --show TEXT\n");
      return 2;
    }
  }
  const EntityRecognizer recognizer;
  std::vector<Set> sets;
  Set w, n;
  if (LoadWnut(wnut, &w)) {
    sets.push_back(std::move(w));
  } else {
    std::printf("eval_entities: WNUT-17 data MISSING: cannot read %s (it lives in the shared data "
                "folder beside the repository; pass --wnut PATH if it is elsewhere). Skipped.\n",
                wnut.c_str());
  }
  if (LoadNlupp(nlupp, &n)) {
    sets.push_back(std::move(n));
  } else {
    std::printf("eval_entities: NLU++ data MISSING: cannot read %s/banking_fold0..9.json (pass "
                "--nlupp DIR if it is elsewhere). Skipped.\n",
                nlupp.c_str());
  }
  if (sets.empty()) return 1;
  if (!errors_set.empty()) {
    // Errors are shown for the tuning part only: the held-out part stays unseen.
    for (const Set& s : sets) {
      bool match = (errors_set == "wnut" && s.name.rfind("WNUT", 0) == 0) ||
                   (errors_set == "nlupp" && s.name.rfind("NLU", 0) == 0);
      if (match) Evaluate(recognizer, s, 0, s.tuning_end, errors_type, max_errors);
    }
    return 0;
  }
  for (const Set& s : sets) {
    std::printf("\n## %s: %zu records; tuning part [0, %zu), held-out part [%zu, %zu)\n",
                s.name.c_str(), s.records.size(), s.tuning_end, s.tuning_end, s.records.size());
    Report(s, "held-out part (the honest figures)",
           Evaluate(recognizer, s, s.tuning_end, s.records.size(), "", 0));
    Report(s, "tuning part", Evaluate(recognizer, s, 0, s.tuning_end, "", 0));
  }
  return 0;
}
