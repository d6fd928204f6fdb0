// linux.seccomp -> SeccompProfile. Like the config parser, every check names the JSON path of
// what it rejects, and JSON null counts as absent (Go tools write it; runc ignores it).
#include "security/seccomp_profile.hpp"

#include <sys/un.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sys/error.hpp"

namespace hako::security {
namespace {

using nlohmann::json;

// The kernel clamps larger SECCOMP_RET_ERRNO data to MAX_ERRNO; a bigger errnoRet is a mistake.
constexpr std::uint64_t kMaxErrno = 4095;

// The syscall hako's init sends the listener fd with; notifying it would hang the init
// before anyone could answer (runc refuses `write` for the same reason, crun#1002).
constexpr std::string_view kInitSendSyscall = "sendmsg";

// A JSON value with its path in the document ("linux.seccomp.syscalls[0].args[1].op").
class Node {
public:
    Node(const json& value, std::string path) : value_(&value), path_(std::move(path)) {}

    [[nodiscard]] const json& value() const { return *value_; }
    [[nodiscard]] const std::string& path() const { return path_; }

    [[noreturn]] void error(std::string_view message) const { fail("{}: {}", path_, message); }

    [[nodiscard]] std::optional<Node> member(std::string_view key) const {
        if (!value_->is_object()) error("expected object");
        const auto it = value_->find(std::string(key));
        if (it == value_->end() || it->is_null()) return std::nullopt;
        return Node(*it, fmt::format("{}.{}", path_, key));
    }

    [[nodiscard]] Node required(std::string_view key) const {
        auto node = member(key);
        if (!node) fail("{}.{}: required", path_, key);
        return *node;
    }

    [[nodiscard]] std::vector<Node> elements() const {
        if (!value_->is_array()) error("expected array");
        std::vector<Node> nodes;
        nodes.reserve(value_->size());
        for (std::size_t i = 0; i < value_->size(); ++i)
            nodes.emplace_back((*value_)[i], fmt::format("{}[{}]", path_, i));
        return nodes;
    }

    [[nodiscard]] std::string as_string() const {
        if (!value_->is_string()) error("expected string");
        return value_->get<std::string>();
    }

    [[nodiscard]] std::uint64_t as_u64() const {
        if (!value_->is_number_unsigned()) error("expected unsigned integer");
        return value_->get<std::uint64_t>();
    }

    [[nodiscard]] std::uint32_t as_errno() const {
        const std::uint64_t value = as_u64();
        if (value > kMaxErrno) error(fmt::format("must be at most {}", kMaxErrno));
        return static_cast<std::uint32_t>(value);
    }

private:
    const json* value_;  // not owned: the document outlives every Node
    std::string path_;
};

template <typename T, std::size_t N>
T lookup(const Node& node, const std::array<SeccompName<T>, N>& table, std::string_view what) {
    const std::string name = node.as_string();
    const auto it = std::find_if(table.begin(), table.end(),
                                 [&](const auto& entry) { return entry.name == name; });
    if (it == table.end()) node.error(fmt::format("unknown {} {}", what, json(name).dump()));
    return it->value;
}

bool takes_errno(SeccompAction action) {
    return action == SeccompAction::errno_code || action == SeccompAction::trace;
}

// The spec: "When the action doesn't support an errno, the runtime MUST print an error and
// fail."
std::uint32_t parse_errno_for(const Node& node, SeccompAction action) {
    if (!takes_errno(action))
        node.error(fmt::format("{} takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
                               seccomp_action_name(action)));
    return node.as_errno();
}

SeccompArg parse_arg(const Node& node) {
    SeccompArg arg;
    const Node index = node.required("index");
    const std::uint64_t raw_index = index.as_u64();
    if (raw_index >= kSeccompMaxArguments)
        index.error(fmt::format("must be less than {}", kSeccompMaxArguments));
    arg.index = static_cast<unsigned>(raw_index);
    arg.value = node.required("value").as_u64();
    if (auto n = node.member("valueTwo")) arg.value_two = n->as_u64();
    arg.op = lookup(node.required("op"), kSeccompOperators, "operator");
    return arg;
}

SeccompRule parse_rule(const Node& node) {
    SeccompRule rule;
    const Node names = node.required("names");
    const auto name_nodes = names.elements();
    if (name_nodes.empty()) names.error("must name at least one syscall");
    rule.action = lookup(node.required("action"), kSeccompActions, "action");
    for (const Node& name_node : name_nodes) {
        std::string name = name_node.as_string();
        if (name.empty()) name_node.error("must not be empty");
        if (rule.action == SeccompAction::notify && name == kInitSendSyscall)
            name_node.error(fmt::format(
                "SCMP_ACT_NOTIFY cannot be used for {}: hako's init passes the listener fd "
                "with it",
                kInitSendSyscall));
        rule.names.push_back(std::move(name));
    }
    if (auto n = node.member("errnoRet")) rule.errno_ret = parse_errno_for(*n, rule.action);
    if (auto n = node.member("args")) {
        for (const Node& arg : n->elements()) rule.args.push_back(parse_arg(arg));
    }
    return rule;
}

SeccompFlag parse_flag(const Node& node) {
    const SeccompFlag flag = lookup(node, kSeccompFlags, "flag");
    // It needs SCMP_FLTATR_CTL_WAITKILL, which only libseccomp 2.6 has; like runc, hako
    // refuses it rather than silently ignoring the caller's request.
    if (flag == SeccompFlag::wait_killable_recv)
        node.error(fmt::format("{} is not supported: it needs libseccomp 2.6, hako is built with "
                               "{}.{}.{}",
                               seccomp_flag_name(flag), SCMP_VER_MAJOR, SCMP_VER_MINOR,
                               SCMP_VER_MICRO));
    return flag;
}

template <typename T>
void append_once(std::vector<T>& values, T value) {
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
}

SeccompProfile parse_profile(const Node& root) {
    if (!root.value().is_object()) root.error("expected object");
    SeccompProfile profile;
    const Node default_action = root.required("defaultAction");
    profile.default_action = lookup(default_action, kSeccompActions, "action");
    // Every syscall the init makes after loading would wait for an agent it has not yet
    // handed the listener to (runc refuses it too).
    if (profile.default_action == SeccompAction::notify)
        default_action.error("SCMP_ACT_NOTIFY cannot be the default action");
    if (auto n = root.member("defaultErrnoRet"))
        profile.default_errno_ret = parse_errno_for(*n, profile.default_action);
    if (auto n = root.member("architectures")) {
        for (const Node& arch : n->elements())
            append_once(profile.architectures, lookup(arch, kSeccompArchitectures, "architecture"));
    }
    if (auto n = root.member("flags")) {
        for (const Node& flag : n->elements()) append_once(profile.flags, parse_flag(flag));
    }
    if (auto n = root.member("listenerPath")) {
        profile.listener_path = n->as_string();
        if (profile.listener_path.empty()) n->error("must not be empty");
        if (profile.listener_path.size() >= sizeof(sockaddr_un::sun_path))
            n->error(fmt::format("longer than the {}-byte unix socket path limit",
                                 sizeof(sockaddr_un::sun_path) - 1));
        if (profile.listener_path.find('\0') != std::string::npos)
            n->error("must not contain a NUL byte");
    }
    if (auto n = root.member("listenerMetadata")) profile.listener_metadata = n->as_string();
    if (auto n = root.member("syscalls")) {
        for (const Node& rule : n->elements()) profile.syscalls.push_back(parse_rule(rule));
    }
    if (profile.uses_notify() && profile.listener_path.empty())
        fail("{}.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY", root.path());
    return profile;
}

template <typename T, std::size_t N>
std::string_view name_of(const std::array<SeccompName<T>, N>& table, T value) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    return "?";
}

}  // namespace

bool SeccompProfile::uses_notify() const {
    return std::any_of(syscalls.begin(), syscalls.end(), [](const SeccompRule& rule) {
        return rule.action == SeccompAction::notify;
    });
}

bool SeccompProfile::has_flag(SeccompFlag flag) const {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

SeccompProfile parse_seccomp_profile(std::string_view json_text) {
    constexpr std::string_view kPath = "linux.seccomp";
    json document;
    try {
        document = json::parse(json_text);
    } catch (const json::exception&) {  // parse_error, or out_of_range for 1e400
        fail("{}: invalid JSON", kPath);
    }
    return parse_profile(Node(document, std::string(kPath)));
}

std::string_view seccomp_action_name(SeccompAction action) {
    // SCMP_ACT_KILL comes first in the table; the canonical name is the explicit one.
    if (action == SeccompAction::kill_thread) return "SCMP_ACT_KILL_THREAD";
    return name_of(kSeccompActions, action);
}

std::string_view seccomp_flag_name(SeccompFlag flag) { return name_of(kSeccompFlags, flag); }

}  // namespace hako::security
