// `parley keys`: the API keys of a data directory (README, Authentication).
//
//   parley keys create --data-dir DIR --tenant T [--tenant T2 ...] --role viewer|editor|admin [--name N]
//   parley keys list   --data-dir DIR
//   parley keys revoke --data-dir DIR KEY_ID
//
// `create` prints the key's description, then its secret alone on the last
// line (the only time it is shown; the store keeps a hash). `list` prints id,
// name, tenants, role, created and revoked times, never a secret or hash. A
// server on the same data dir sees new keys and revocations within seconds.
// `create` and `revoke` are recorded in the audit log (key "cli", one entry
// per tenant of the key; `parley audit`).
// Exit codes: 0 done, 2 bad arguments, 1 store errors or no such key.
#include <sys/stat.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/time_format.h"
#include "service/audit_service.h"
#include "service/key_service.h"
#include "service/resource_service.h"
#include "store/store.h"

namespace parley::cli {
namespace {

struct KeysFlags {
  std::string data_dir = "var/data";
  std::string store;  // --store: a PostgreSQL URL instead of --data-dir
  std::vector<std::string> tenants;
  std::string role;
  std::string name;
  std::string id;
};

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

// Records `action` on key `id` of `tenants` ("_system" when unknown) with
// `result`; 1 when the entry could not be stored (the action stands).
int Audit(service::AuditService& audit, std::string_view action, const std::string& id,
          const std::vector<std::string>& tenants, const absl::Status& result) {
  int rc = 0;
  const std::vector<std::string> system = {std::string(service::kSystemTenant)};
  for (const std::string& tenant : tenants.empty() ? system : tenants) {
    store::AuditEntry e;
    e.key = "cli";
    e.tenant = tenant;
    e.action = std::string(action);
    e.resource = "keys/" + (id.empty() ? std::string("-") : id);
    e.result = result.ok() ? "OK" : absl::StatusCodeToString(result.code());
    if (absl::Status s = audit.RecordNow(std::move(e)); !s.ok()) {
      std::cerr << "parley keys: cannot write the audit log: " << s.message() << "\n";
      rc = 1;
    }
  }
  return rc;
}

// Opens the store and runs `body` with a KeyService over it.
int WithKeys(const KeysFlags& flags,
             const std::function<int(service::KeyService&, service::AuditService&)>& body) {
  ::umask(077);  // whatever the store creates is the owner's alone
  auto store = store::OpenStore(flags.store.empty() ? "sqlite:" + flags.data_dir : flags.store);
  if (!store.ok()) {
    std::cerr << "parley keys: cannot open the store in " << flags.data_dir << ": "
              << store.status().message() << "\n";
    return 1;
  }
  service::ResourceService resources(store->get());
  service::KeyService keys(&resources);
  service::AuditService audit(store->get());
  int rc = body(keys, audit);
  (*store)->Close();
  return rc;
}

int Create(const KeysFlags& flags) {
  std::optional<core::ApiKeyRole> role = service::ParseRole(flags.role);
  if (!role) {
    std::cerr << "parley keys create: --role must be viewer, editor or admin\n";
    return 2;
  }
  for (const std::string& t : flags.tenants) {
    if (!service::IsValidKeyTenant(t)) {
      std::cerr << "parley keys create: bad --tenant '" << t
                << "': 1 to 128 characters of [A-Za-z0-9._-], not starting with '_' or '.'\n";
      return 2;
    }
  }
  return WithKeys(flags, [&](service::KeyService& keys, service::AuditService& audit) {
    auto created = keys.Create(flags.name, flags.tenants, *role);
    if (!created.ok()) {
      std::cerr << "parley keys create: " << created.status().message() << "\n";
      (void)Audit(audit, "keys.create", "", flags.tenants, created.status());
      return 1;
    }
    // The secret is printed only once the creation is in the audit log.
    if (Audit(audit, "keys.create", created->key.id(), flags.tenants, absl::OkStatus()) != 0) return 1;
    const core::ApiKey& k = created->key;
    std::cout << "created key " << k.id() << " (name \"" << k.name() << "\", role "
              << service::RoleName(k.role()) << ", tenants " << Join(k.tenants())
              << "); the secret below is shown only now:\n"
              << created->secret << std::endl;
    return 0;
  });
}

int List(const KeysFlags& flags) {
  return WithKeys(flags, [](service::KeyService& keys, service::AuditService&) {
    auto list = keys.List();
    if (!list.ok()) {
      std::cerr << "parley keys list: " << list.status().message() << "\n";
      return 1;
    }
    std::cout << "ID\tNAME\tTENANTS\tROLE\tCREATED\tREVOKED\n";
    for (const core::ApiKey& k : *list) {
      std::cout << k.id() << "\t" << (k.name().empty() ? "-" : k.name()) << "\t" << Join(k.tenants())
                << "\t" << service::RoleName(k.role()) << "\t"
                << core::FormatTimestampMicros(k.create_time_us()) << "\t"
                << (k.revoke_time_us() ? core::FormatTimestampMicros(k.revoke_time_us()) : "-") << "\n";
    }
    return 0;
  });
}

int Revoke(const KeysFlags& flags) {
  return WithKeys(flags, [&](service::KeyService& keys, service::AuditService& audit) {
    // The entries name the tenants of the key, when there is one.
    std::vector<std::string> tenants;
    if (auto list = keys.List(); list.ok()) {
      for (const core::ApiKey& k : *list) {
        if (k.id() == flags.id) tenants.assign(k.tenants().begin(), k.tenants().end());
      }
    }
    absl::Status s = keys.Revoke(flags.id);
    const int audited = Audit(audit, "keys.revoke", flags.id, tenants, s);
    if (!s.ok()) {
      std::cerr << "parley keys revoke: " << s.message() << "\n";
      return 1;
    }
    if (audited != 0) return 1;
    std::cout << "revoked key " << flags.id << "\n";
    return 0;
  });
}

void AddKeysCommand(CLI::App& app) {
  auto flags = std::make_shared<KeysFlags>();
  CLI::App* keys = app.add_subcommand("keys", "Manage the API keys of a data directory");
  keys->require_subcommand(1);
  auto data_dir = [&](CLI::App* sub) {
    sub->add_option("--data-dir", flags->data_dir, "Directory of the embedded store")->capture_default_str();
    sub->add_option("--store", flags->store, "PostgreSQL database to use instead of the embedded store: postgresql://USER@HOST:PORT/DB[?...] (docs/adr/0021)");
  };
  CLI::App* create = keys->add_subcommand("create", "Create a key; prints its secret on the last line");
  data_dir(create);
  create->add_option("--tenant", flags->tenants,
                     "Tenant the key may act for (Google project id, Cresta customer id); repeatable, "
                     "the first one is the tenant of dialects whose paths name none (ElevateAI)")
      ->required();
  create->add_option("--role", flags->role, "viewer (read), editor (read and write) or admin (all)")
      ->required();
  create->add_option("--name", flags->name, "A label for the key");
  create->callback([flags] {
    if (int rc = Create(*flags); rc != 0) throw CLI::RuntimeError(rc);
  });
  CLI::App* list = keys->add_subcommand("list", "List keys (never their secrets)");
  data_dir(list);
  list->callback([flags] {
    if (int rc = List(*flags); rc != 0) throw CLI::RuntimeError(rc);
  });
  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke a key by id");
  data_dir(revoke);
  revoke->add_option("id", flags->id, "The key id (as `keys list` shows it)")->required();
  revoke->callback([flags] {
    if (int rc = Revoke(*flags); rc != 0) throw CLI::RuntimeError(rc);
  });
}

const bool kRegistered = RegisterCommand(&AddKeysCommand);

}  // namespace
}  // namespace parley::cli
