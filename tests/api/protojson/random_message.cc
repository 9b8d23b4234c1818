#include "api/protojson/random_message.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace parley::protojson::testing {
namespace {

namespace pb = google::protobuf;
using pb::FieldDescriptor;

class Filler {
 public:
  Filler(std::mt19937_64& rng, const FillOptions& o) : rng_(rng), o_(o) {}

  void Fill(pb::Message* m, int depth) {
    const pb::Descriptor* d = m->GetDescriptor();
    const std::string& name = d->full_name();
    if (name.rfind("google.protobuf.", 0) == 0 && FillWkt(m, name, depth)) return;
    const pb::Reflection* r = m->GetReflection();
    for (int i = 0; i < d->oneof_decl_count(); ++i) {
      const pb::OneofDescriptor* oneof = d->oneof_decl(i);
      if (!Chance(o_.field_probability)) continue;
      const FieldDescriptor* f = oneof->field(Uniform(0, oneof->field_count() - 1));
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth >= o_.max_depth &&
          !IsScalarLike(f->message_type()))
        continue;
      SetSingular(m, r, f, depth);
    }
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->containing_oneof() != nullptr && f->real_containing_oneof() != nullptr) continue;
      if (!Chance(o_.field_probability)) continue;
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (f->message_type()->full_name() == "google.protobuf.Any") continue;
        if (depth >= o_.max_depth && !f->is_map() && !IsScalarLike(f->message_type())) continue;
      }
      if (f->is_map()) {
        FillMap(m, r, f, depth);
      } else if (f->is_repeated()) {
        int n = Uniform(0, o_.max_repeated);
        for (int k = 0; k < n; ++k) AddElement(m, r, f, depth);
      } else {
        SetSingular(m, r, f, depth);
      }
    }
  }

 private:
  static bool IsScalarLike(const pb::Descriptor* d) {
    const std::string& n = d->full_name();
    return n == "google.protobuf.Timestamp" || n == "google.protobuf.Duration" ||
           n == "google.protobuf.FieldMask" || n == "google.protobuf.Empty" ||
           (n.rfind("google.protobuf.", 0) == 0 && n.size() > 5 &&
            n.compare(n.size() - 5, 5, "Value") == 0 && n != "google.protobuf.Value" &&
            n != "google.protobuf.ListValue");
  }

  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  int64_t Uniform64(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  template <typename T>
  T Int() {
    using L = std::numeric_limits<T>;
    switch (Uniform(0, 7)) {
      case 0: return 0;
      case 1: return 1;
      case 2: return L::max();
      case 3: return L::min();
      case 4: return static_cast<T>(Uniform(-100, 100));
      case 5: return static_cast<T>(L::max() - Uniform(0, 3));
      default: {
        uint64_t bits = rng_();
        T v;
        std::memcpy(&v, &bits, sizeof v);
        return v;
      }
    }
  }

  double Double(bool value_number = false) {
    switch (Uniform(0, 12)) {
      case 0: return 0.0;
      case 1: return -0.0;
      case 2: return Uniform(-1000000, 1000000) / std::pow(10.0, Uniform(0, 8));
      case 3: return static_cast<double>(Uniform64(-(int64_t{1} << 53), int64_t{1} << 53));
      case 4: return std::ldexp(1.0, Uniform(-1074, 1023)) * (Chance(0.5) ? -1 : 1);
      case 5: return std::numeric_limits<double>::denorm_min() * Uniform(1, 1000);
      case 6: return Chance(0.5) ? std::numeric_limits<double>::max() : std::numeric_limits<double>::lowest();
      case 7: return std::pow(10.0, Uniform(-320, 308));
      case 8:
        if (o_.non_finite && !value_number) {
          switch (Uniform(0, 2)) {
            case 0: return std::numeric_limits<double>::infinity();
            case 1: return -std::numeric_limits<double>::infinity();
            default: return std::numeric_limits<double>::quiet_NaN();
          }
        }
        return 0.5;
      default: {
        double v;
        do {
          uint64_t bits = rng_();
          std::memcpy(&v, &bits, sizeof v);
        } while (!std::isfinite(v));
        return v;
      }
    }
  }

  float Float() {
    switch (Uniform(0, 10)) {
      case 0: return 0.0f;
      case 1: return -0.0f;
      case 2: return static_cast<float>(Uniform(-100000, 100000) / std::pow(10.0, Uniform(0, 6)));
      case 3: return std::numeric_limits<float>::denorm_min() * static_cast<float>(Uniform(1, 1000));
      case 4: return Chance(0.5) ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
      case 5: return static_cast<float>(std::uniform_real_distribution<double>(0, 1)(rng_));
      case 6:
        if (o_.non_finite) {
          switch (Uniform(0, 2)) {
            case 0: return std::numeric_limits<float>::infinity();
            case 1: return -std::numeric_limits<float>::infinity();
            default: return std::numeric_limits<float>::quiet_NaN();
          }
        }
        return 0.25f;
      default: {
        float v;
        do {
          uint32_t bits = static_cast<uint32_t>(rng_());
          std::memcpy(&v, &bits, sizeof v);
        } while (!std::isfinite(v));
        return v;
      }
    }
  }

  static void AppendUtf8(std::string* s, uint32_t cp) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      s->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  std::string String() {
    static const uint32_t kSpecial[] = {
        0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, '"', '\\', '/', '<', '>', '&', '\'', 0x7f,
        0x80, 0x9f, 0xa0, 0xad, 0xe9, 0x600, 0x6dd, 0x70f, 0x17b4, 0x200b, 0x200f, 0x2028, 0x2029,
        0x202e, 0x2060, 0x206f, 0xfeff, 0xfff9, 0xfffb, 0xfffd, 0xffff, 0x1d173, 0x1f600, 0xe0001,
        0xe0020, 0xe007f, 0x10ffff, 0xd7ff, 0xe000};
    std::string s;
    int n = Uniform(0, 12);
    if (Chance(0.2)) n = Uniform(0, 80);
    for (int i = 0; i < n; ++i) {
      switch (Uniform(0, 5)) {
        case 0:
          AppendUtf8(&s, kSpecial[Uniform(0, sizeof kSpecial / sizeof kSpecial[0] - 1)]);
          break;
        case 1: {
          uint32_t cp;
          do {
            cp = static_cast<uint32_t>(Uniform(0x80, 0x10ffff));
          } while (cp >= 0xd800 && cp <= 0xdfff);
          AppendUtf8(&s, cp);
          break;
        }
        default:
          s.push_back(static_cast<char>(Uniform(0x20, 0x7e)));
          break;
      }
    }
    return s;
  }

  std::string Bytes() {
    std::string s;
    int n = Uniform(0, 10);
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(Uniform(0, 255)));
    return s;
  }

  // A snake_case identifier whose lowerCamel form converts back unchanged:
  // words of two or more characters, the first two lowercase letters (so
  // that no two capitals meet in the camel form).
  std::string Ident() {
    std::string s;
    int words = Uniform(1, 3);
    for (int w = 0; w < words; ++w) {
      if (w > 0) s.push_back('_');
      s.push_back(static_cast<char>('a' + Uniform(0, 25)));
      s.push_back(static_cast<char>('a' + Uniform(0, 25)));
      int len = Uniform(0, 4);
      for (int i = 0; i < len; ++i) {
        s.push_back(Chance(0.8) ? static_cast<char>('a' + Uniform(0, 25))
                                : static_cast<char>('0' + Uniform(0, 9)));
      }
    }
    return s;
  }

  int EnumValue(const FieldDescriptor* f) {
    const pb::EnumDescriptor* e = f->enum_type();
    if (e->full_name() == "google.protobuf.NullValue") return 0;
    if (e->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3 && Chance(0.1))
      return Uniform(-5, 1000);
    return e->value(Uniform(0, e->value_count() - 1))->number();
  }

  void SetSingular(pb::Message* m, const pb::Reflection* r, const FieldDescriptor* f, int depth) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: r->SetInt32(m, f, Int<int32_t>()); break;
      case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(m, f, Int<int64_t>()); break;
      case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(m, f, Int<uint32_t>()); break;
      case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(m, f, Int<uint64_t>()); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(m, f, Double()); break;
      case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(m, f, Float()); break;
      case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(m, f, Chance(0.5)); break;
      case FieldDescriptor::CPPTYPE_ENUM: r->SetEnumValue(m, f, EnumValue(f)); break;
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(m, f, f->type() == FieldDescriptor::TYPE_BYTES ? Bytes() : String());
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        Fill(r->MutableMessage(m, f), depth + 1);
        break;
    }
  }

  void AddElement(pb::Message* m, const pb::Reflection* r, const FieldDescriptor* f, int depth) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: r->AddInt32(m, f, Int<int32_t>()); break;
      case FieldDescriptor::CPPTYPE_INT64: r->AddInt64(m, f, Int<int64_t>()); break;
      case FieldDescriptor::CPPTYPE_UINT32: r->AddUInt32(m, f, Int<uint32_t>()); break;
      case FieldDescriptor::CPPTYPE_UINT64: r->AddUInt64(m, f, Int<uint64_t>()); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->AddDouble(m, f, Double()); break;
      case FieldDescriptor::CPPTYPE_FLOAT: r->AddFloat(m, f, Float()); break;
      case FieldDescriptor::CPPTYPE_BOOL: r->AddBool(m, f, Chance(0.5)); break;
      case FieldDescriptor::CPPTYPE_ENUM: r->AddEnumValue(m, f, EnumValue(f)); break;
      case FieldDescriptor::CPPTYPE_STRING:
        r->AddString(m, f, f->type() == FieldDescriptor::TYPE_BYTES ? Bytes() : String());
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        Fill(r->AddMessage(m, f), depth + 1);
        break;
    }
  }

  void FillMap(pb::Message* m, const pb::Reflection* r, const FieldDescriptor* f, int depth) {
    const FieldDescriptor* kf = f->message_type()->map_key();
    const FieldDescriptor* vf = f->message_type()->map_value();
    int n = Uniform(0, o_.max_map_entries);
    std::set<std::string> used;
    for (int k = 0; k < n; ++k) {
      pb::Message* e = r->AddMessage(m, f);
      const pb::Reflection* er = e->GetReflection();
      // Set a fresh key (retry on collisions; give up on tiny key spaces).
      bool fresh = false;
      for (int attempt = 0; attempt < 8 && !fresh; ++attempt) {
        SetSingular(e, er, kf, depth);
        std::string key;
        switch (kf->cpp_type()) {
          case FieldDescriptor::CPPTYPE_STRING: key = er->GetString(*e, kf); break;
          case FieldDescriptor::CPPTYPE_INT32: key = std::to_string(er->GetInt32(*e, kf)); break;
          case FieldDescriptor::CPPTYPE_INT64: key = std::to_string(er->GetInt64(*e, kf)); break;
          case FieldDescriptor::CPPTYPE_UINT32: key = std::to_string(er->GetUInt32(*e, kf)); break;
          case FieldDescriptor::CPPTYPE_UINT64: key = std::to_string(er->GetUInt64(*e, kf)); break;
          case FieldDescriptor::CPPTYPE_BOOL: key = er->GetBool(*e, kf) ? "t" : "f"; break;
          default: break;
        }
        fresh = used.insert(key).second;
      }
      if (!fresh) {
        r->RemoveLast(m, f);
        break;
      }
      if (vf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        // Always present: a map value has no "unset" state.
        pb::Message* v = er->MutableMessage(e, vf);
        if (vf->message_type()->full_name() == "google.protobuf.Value") {
          SetKind(v, depth + 1);
        } else if (depth < o_.max_depth || IsScalarLike(vf->message_type())) {
          Fill(v, depth + 1);
        }
      } else {
        SetSingular(e, er, vf, depth);
      }
    }
  }

  // google.protobuf.Value with some kind set; containers only above max depth.
  void SetKind(pb::Message* v, int depth) {
    const pb::Descriptor* d = v->GetDescriptor();
    const pb::Reflection* r = v->GetReflection();
    int kind = Uniform(1, depth >= o_.max_depth ? 4 : 6);
    const FieldDescriptor* f = d->FindFieldByNumber(kind);
    switch (kind) {
      case 1: r->SetEnumValue(v, f, 0); break;
      case 2: r->SetDouble(v, f, Double(/*value_number=*/true)); break;
      case 3: r->SetString(v, f, String()); break;
      case 4: r->SetBool(v, f, Chance(0.5)); break;
      default: Fill(r->MutableMessage(v, f), depth + 1); break;
    }
  }

  bool FillWkt(pb::Message* m, const std::string& name, int depth) {
    const pb::Descriptor* d = m->GetDescriptor();
    const pb::Reflection* r = m->GetReflection();
    auto field = [&](int n) { return d->FindFieldByNumber(n); };
    auto nanos = [&]() -> int32_t {
      switch (Uniform(0, 3)) {
        case 0: return 0;
        case 1: return Uniform(0, 999) * 1000000;
        case 2: return Uniform(0, 999999) * 1000;
        default: return Uniform(0, 999999999);
      }
    };
    if (name == "google.protobuf.Timestamp") {
      r->SetInt64(m, field(1), Uniform64(-62135596800, 253402300799));
      r->SetInt32(m, field(2), nanos());
      return true;
    }
    if (name == "google.protobuf.Duration") {
      int64_t s = Chance(0.3) ? Uniform(-5, 5) : Uniform64(-315576000000, 315576000000);
      int32_t n = nanos();
      if (s < 0 || (s == 0 && Chance(0.5))) n = -n;
      r->SetInt64(m, field(1), s);
      r->SetInt32(m, field(2), n);
      return true;
    }
    if (name == "google.protobuf.FieldMask") {
      int n = Uniform(0, 3);
      for (int i = 0; i < n; ++i) {
        std::string path = Ident();
        int segs = Uniform(0, 2);
        for (int k = 0; k < segs; ++k) path += "." + Ident();
        r->AddString(m, field(1), path);
      }
      return true;
    }
    if (name == "google.protobuf.Value") {
      SetKind(m, depth);
      return true;
    }
    if (name == "google.protobuf.Struct" || name == "google.protobuf.ListValue") {
      if (depth >= o_.max_depth) return true;
      const FieldDescriptor* f = field(1);
      int n = Uniform(0, name == "google.protobuf.Struct" ? o_.max_map_entries : o_.max_repeated);
      std::set<std::string> used;
      for (int i = 0; i < n; ++i) {
        pb::Message* target;
        if (f->is_map()) {
          std::string key = String();
          if (!used.insert(key).second) continue;
          pb::Message* e = r->AddMessage(m, f);
          e->GetReflection()->SetString(e, e->GetDescriptor()->map_key(), key);
          target = e->GetReflection()->MutableMessage(e, e->GetDescriptor()->map_value());
        } else {
          target = r->AddMessage(m, f);
        }
        SetKind(target, depth + 1);
      }
      return true;
    }
    if (name == "google.protobuf.Empty") return true;
    if (name == "google.protobuf.Any") return true;
    return false;  // wrappers: ordinary messages with one field
  }

  std::mt19937_64& rng_;
  const FillOptions& o_;
};

}  // namespace

void FillRandom(google::protobuf::Message* message, std::mt19937_64& rng,
                const FillOptions& options) {
  message->Clear();
  Filler(rng, options).Fill(message, 0);
}

}  // namespace parley::protojson::testing
