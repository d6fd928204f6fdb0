#include <sys/mount.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "fs/mount_api.hpp"
#include "sys/error.hpp"

namespace hako::fs {
namespace {

enum class Kind {
    set_attr,       // set value in attr_set (and drop it from attr_clr)
    clear_attr,     // set value in attr_clr (and drop it from attr_set)
    atime,          // value is the atime mode to select
    cancel_atime,   // "norelatime"...: forget the atime mode if it is value
    propagation,    // value is MS_PRIVATE, MS_SHARED, MS_SLAVE or MS_UNBINDABLE
    bind,
    copy_up,
    ignore,
    unsupported,
};

struct KnownOption {
    std::string_view name;
    Kind kind;
    std::uint64_t value;
    bool recursive;  // "rro", "rbind", "rprivate"...
};

// Every option that is not a filesystem parameter. Linear search: the table is small and the
// lookup runs a handful of times per mount.
constexpr auto kKnownOptions = std::to_array<KnownOption>({
    {"ro", Kind::set_attr, MOUNT_ATTR_RDONLY, false},
    {"rw", Kind::clear_attr, MOUNT_ATTR_RDONLY, false},
    {"nosuid", Kind::set_attr, MOUNT_ATTR_NOSUID, false},
    {"suid", Kind::clear_attr, MOUNT_ATTR_NOSUID, false},
    {"nodev", Kind::set_attr, MOUNT_ATTR_NODEV, false},
    {"dev", Kind::clear_attr, MOUNT_ATTR_NODEV, false},
    {"noexec", Kind::set_attr, MOUNT_ATTR_NOEXEC, false},
    {"exec", Kind::clear_attr, MOUNT_ATTR_NOEXEC, false},
    {"nodiratime", Kind::set_attr, MOUNT_ATTR_NODIRATIME, false},
    {"diratime", Kind::clear_attr, MOUNT_ATTR_NODIRATIME, false},
    {"nosymfollow", Kind::set_attr, MOUNT_ATTR_NOSYMFOLLOW, false},
    {"symfollow", Kind::clear_attr, MOUNT_ATTR_NOSYMFOLLOW, false},
    {"noatime", Kind::atime, MOUNT_ATTR_NOATIME, false},
    {"relatime", Kind::atime, MOUNT_ATTR_RELATIME, false},
    {"strictatime", Kind::atime, MOUNT_ATTR_STRICTATIME, false},
    {"norelatime", Kind::cancel_atime, MOUNT_ATTR_RELATIME, false},
    {"nostrictatime", Kind::cancel_atime, MOUNT_ATTR_STRICTATIME, false},

    {"rro", Kind::set_attr, MOUNT_ATTR_RDONLY, true},
    {"rrw", Kind::clear_attr, MOUNT_ATTR_RDONLY, true},
    {"rnosuid", Kind::set_attr, MOUNT_ATTR_NOSUID, true},
    {"rsuid", Kind::clear_attr, MOUNT_ATTR_NOSUID, true},
    {"rnodev", Kind::set_attr, MOUNT_ATTR_NODEV, true},
    {"rdev", Kind::clear_attr, MOUNT_ATTR_NODEV, true},
    {"rnoexec", Kind::set_attr, MOUNT_ATTR_NOEXEC, true},
    {"rexec", Kind::clear_attr, MOUNT_ATTR_NOEXEC, true},
    {"rnodiratime", Kind::set_attr, MOUNT_ATTR_NODIRATIME, true},
    {"rdiratime", Kind::clear_attr, MOUNT_ATTR_NODIRATIME, true},
    {"rnosymfollow", Kind::set_attr, MOUNT_ATTR_NOSYMFOLLOW, true},
    {"rsymfollow", Kind::clear_attr, MOUNT_ATTR_NOSYMFOLLOW, true},
    {"rnoatime", Kind::atime, MOUNT_ATTR_NOATIME, true},
    {"rrelatime", Kind::atime, MOUNT_ATTR_RELATIME, true},
    {"rstrictatime", Kind::atime, MOUNT_ATTR_STRICTATIME, true},
    {"rnorelatime", Kind::cancel_atime, MOUNT_ATTR_RELATIME, true},
    {"rnostrictatime", Kind::cancel_atime, MOUNT_ATTR_STRICTATIME, true},

    {"bind", Kind::bind, 0, false},
    {"rbind", Kind::bind, 0, true},
    {"private", Kind::propagation, MS_PRIVATE, false},
    {"rprivate", Kind::propagation, MS_PRIVATE, true},
    {"shared", Kind::propagation, MS_SHARED, false},
    {"rshared", Kind::propagation, MS_SHARED, true},
    {"slave", Kind::propagation, MS_SLAVE, false},
    {"rslave", Kind::propagation, MS_SLAVE, true},
    {"unbindable", Kind::propagation, MS_UNBINDABLE, false},
    {"runbindable", Kind::propagation, MS_UNBINDABLE, true},

    // "defaults" means nothing beyond the defaults; "async" is the default; "silent" and
    // "loud" only change kernel logging.
    {"defaults", Kind::ignore, 0, false},
    {"async", Kind::ignore, 0, false},
    {"silent", Kind::ignore, 0, false},
    {"loud", Kind::ignore, 0, false},

    // runc's and crun's extension (Podman's --read-only): a tmpfs starts with a copy of the
    // directory it covers. Ignored on other mounts, as runc does.
    {"tmpcopyup", Kind::copy_up, 0, false},

    // Refused rather than passed to the kernel, which would fail later with a vaguer error
    // or, for "remount", do something else than asked.
    {"idmap", Kind::unsupported, 0, false},
    {"ridmap", Kind::unsupported, 0, true},
    {"remount", Kind::unsupported, 0, false},
});

const KnownOption* find_known(std::string_view name) {
    for (const KnownOption& known : kKnownOptions) {
        if (known.name == name) return &known;
    }
    return nullptr;
}

void apply(MountOptions& out, const KnownOption& known) {
    switch (known.kind) {
        case Kind::set_attr:
            out.attr_set |= known.value;
            out.attr_clr &= ~known.value;
            out.recursive_attrs = out.recursive_attrs || known.recursive;
            break;
        case Kind::clear_attr:
            out.attr_clr |= known.value;
            out.attr_set &= ~known.value;
            out.recursive_attrs = out.recursive_attrs || known.recursive;
            break;
        case Kind::atime:
            // mount_setattr takes an atime mode only with the whole MOUNT_ATTR__ATIME field
            // in attr_clr (relatime is 0, so attr_clr is also what says a mode was chosen).
            out.attr_set = (out.attr_set & ~std::uint64_t{MOUNT_ATTR__ATIME}) | known.value;
            out.attr_clr |= MOUNT_ATTR__ATIME;
            out.recursive_attrs = out.recursive_attrs || known.recursive;
            break;
        case Kind::cancel_atime:
            if ((out.attr_clr & MOUNT_ATTR__ATIME) != 0 &&
                (out.attr_set & MOUNT_ATTR__ATIME) == known.value) {
                out.attr_set &= ~std::uint64_t{MOUNT_ATTR__ATIME};
                out.attr_clr &= ~std::uint64_t{MOUNT_ATTR__ATIME};
            }
            break;
        case Kind::propagation:
            out.propagation = known.value;
            out.recursive_propagation = known.recursive;
            break;
        case Kind::bind:
            out.bind = true;
            out.recursive = out.recursive || known.recursive;
            break;
        case Kind::copy_up:
            out.copy_up = true;
            break;
        case Kind::ignore:
            break;
        case Kind::unsupported:
            fail("mount option \"{}\" is not supported yet", known.name);
    }
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions out;
    for (const std::string& option : options) {
        if (option.empty()) continue;
        if (const KnownOption* known = find_known(option)) {
            apply(out, *known);
            continue;
        }
        const std::size_t eq = option.find('=');
        if (eq == std::string::npos) {
            out.fs_params.emplace_back(option, std::string());
        } else {
            out.fs_params.emplace_back(option.substr(0, eq), option.substr(eq + 1));
        }
    }
    return out;
}

}  // namespace hako::fs
