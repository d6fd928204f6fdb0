#include "security/seccomp_filter.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "security/seccomp_enosys.hpp"
#include "sys/error.hpp"

namespace hako::security {
namespace {

// runc's choice: libseccomp's binary-tree layout pays off beyond ~32 syscalls, and 2.5.x
// misbehaves with it on an empty rule set.
constexpr std::size_t kBinaryTreeThreshold = 32;

// libseccomp API levels (seccomp_api_get(3)); each says libseccomp and the kernel support it.
constexpr unsigned kApiLog = 3;
constexpr unsigned kApiSpecAllow = 4;
constexpr unsigned kApiNotify = 5;

struct ContextRelease {
    void operator()(void* context) const { seccomp_release(context); }
};
using Context = std::unique_ptr<void, ContextRelease>;

std::uint32_t action_value(SeccompAction action, std::optional<std::uint32_t> errno_ret) {
    switch (action) {
        case SeccompAction::kill_thread: return SCMP_ACT_KILL_THREAD;
        case SeccompAction::kill_process: return SCMP_ACT_KILL_PROCESS;
        case SeccompAction::trap: return SCMP_ACT_TRAP;
        case SeccompAction::errno_code: return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
        case SeccompAction::trace: return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
        case SeccompAction::allow: return SCMP_ACT_ALLOW;
        case SeccompAction::log: return SCMP_ACT_LOG;
        case SeccompAction::notify: return SCMP_ACT_NOTIFY;
    }
    fail("seccomp: unknown action {}", static_cast<int>(action));
}

scmp_compare compare_of(SeccompOperator op) {
    switch (op) {
        case SeccompOperator::not_equal: return SCMP_CMP_NE;
        case SeccompOperator::less: return SCMP_CMP_LT;
        case SeccompOperator::less_equal: return SCMP_CMP_LE;
        case SeccompOperator::equal: return SCMP_CMP_EQ;
        case SeccompOperator::greater_equal: return SCMP_CMP_GE;
        case SeccompOperator::greater: return SCMP_CMP_GT;
        case SeccompOperator::masked_equal: return SCMP_CMP_MASKED_EQ;
    }
    fail("seccomp: unknown operator {}", static_cast<int>(op));
}

void check_libseccomp(int rc, std::string_view what) {
    if (rc < 0) fail("{}: {}", what, std::strerror(-rc));
}

// runc's semantics: the conditions of one rule must all hold (AND), except when two of them
// test the same argument, which libseccomp cannot express in one rule; then each condition
// becomes a rule of its own (OR).
void add_rule(void* context, const SeccompRule& rule, std::size_t index,
              std::uint32_t default_action) {
    const std::uint32_t action = action_value(rule.action, rule.errno_ret);
    // libseccomp refuses a rule that repeats the default action; it would change nothing.
    if (action == default_action) return;
    std::vector<scmp_arg_cmp> conditions;
    std::array<unsigned, kSeccompMaxArguments> per_index{};
    bool split = false;
    for (const SeccompArg& arg : rule.args) {
        conditions.push_back({arg.index, compare_of(arg.op), arg.value, arg.value_two});
        split = split || ++per_index[arg.index] > 1;
    }
    for (const std::string& name : rule.names) {
        // A name this libseccomp does not know is a syscall this kernel generation lacks;
        // runc skips it too, so one profile serves old and new hosts.
        const int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) continue;
        const std::string what =
            fmt::format("linux.seccomp.syscalls[{}]: cannot add the rule for {}", index, name);
        if (split) {
            for (const scmp_arg_cmp& condition : conditions)
                check_libseccomp(seccomp_rule_add_array(context, action, nr, 1, &condition), what);
        } else {
            check_libseccomp(seccomp_rule_add_array(context, action, nr,
                                                    static_cast<unsigned>(conditions.size()),
                                                    conditions.data()),
                             what);
        }
    }
}

std::vector<sock_filter> export_bpf(void* context) {
    const sys::UniqueFd memfd(
        check_sys(::memfd_create("hako-seccomp", MFD_CLOEXEC), "seccomp: memfd_create"));
    const int rc = seccomp_export_bpf(context, memfd.get());
    if (rc < 0) throw_sys_error("seccomp: export the filter", {}, -rc);
    const off_t size = check_sys(::lseek(memfd.get(), 0, SEEK_END), "seccomp: size the filter");
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
        fail("seccomp: libseccomp exported a filter of {} bytes", size);
    std::vector<sock_filter> program(static_cast<std::size_t>(size) / sizeof(sock_filter));
    const auto wanted = static_cast<std::size_t>(size);
    std::size_t done = 0;
    while (done < wanted) {
        const ssize_t n = ::pread(memfd.get(), reinterpret_cast<char*>(program.data()) + done,
                                  wanted - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        check_sys(n, "seccomp: read the filter back");
        if (n == 0) fail("seccomp: the exported filter shrank");
        done += static_cast<std::size_t>(n);
    }
    return program;
}

unsigned flags_for(const SeccompProfile& profile) {
    unsigned flags = 0;
    for (SeccompFlag flag : profile.flags) {
        if (!seccomp_flag_supported(flag))
            fail("linux.seccomp.flags: {} is not supported by this kernel",
                 seccomp_flag_name(flag));
        // TSYNC: the init is single-threaded, and threads would not survive execve anyway.
        if (flag == SeccompFlag::log) flags |= SECCOMP_FILTER_FLAG_LOG;
        if (flag == SeccompFlag::spec_allow) flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    }
    if (profile.uses_notify()) {
        if (seccomp_api_get() < kApiNotify)
            fail("linux.seccomp.syscalls: SCMP_ACT_NOTIFY is not supported by this kernel");
        flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    }
    return flags;
}

}  // namespace

bool SeccompProgram::has_listener() const {
    return (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0;
}

bool seccomp_flag_supported(SeccompFlag flag) {
    switch (flag) {
        case SeccompFlag::tsync: return true;
        case SeccompFlag::log: return seccomp_api_get() >= kApiLog;
        case SeccompFlag::spec_allow: return seccomp_api_get() >= kApiSpecAllow;
        case SeccompFlag::wait_killable_recv: return false;  // needs libseccomp 2.6
    }
    return false;
}

SeccompProgram compile_seccomp(const SeccompProfile& profile) {
    SeccompProgram program;
    program.flags = flags_for(profile);

    const std::uint32_t default_action =
        action_value(profile.default_action, profile.default_errno_ret);
    Context context(seccomp_init(default_action));
    if (!context) fail("linux.seccomp.defaultAction: libseccomp refused it");
    for (std::size_t i = 0; i < profile.architectures.size(); ++i) {
        const int rc = seccomp_arch_add(context.get(), profile.architectures[i]);
        if (rc != -EEXIST)  // the native architecture is always there
            check_libseccomp(rc, fmt::format("linux.seccomp.architectures[{}]", i));
    }
    std::size_t names = 0;
    for (const SeccompRule& rule : profile.syscalls) names += rule.names.size();
    if (names > kBinaryTreeThreshold)
        check_libseccomp(seccomp_attr_set(context.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2),
                         "seccomp: binary tree optimisation");
    for (std::size_t i = 0; i < profile.syscalls.size(); ++i)
        add_rule(context.get(), profile.syscalls[i], i, default_action);

    const std::vector<sock_filter> filter = export_bpf(context.get());
    if (needs_enosys_stub(profile))
        program.instructions =
            make_enosys_stub(find_syscall_cutoffs(profile, seccomp_arch_native()));
    program.stub_length = program.instructions.size();
    program.instructions.insert(program.instructions.end(), filter.begin(), filter.end());
    if (program.instructions.size() > BPF_MAXINSNS)
        fail("linux.seccomp: the filter has {} instructions, more than the kernel's {}",
             program.instructions.size(), BPF_MAXINSNS);
    return program;
}

sys::UniqueFd load_seccomp(const SeccompProgram& program) {
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(program.instructions.size());
    fprog.filter = const_cast<sock_filter*>(program.instructions.data());  // the kernel copies it
    const long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &fprog);
    if (rc < 0) throw_sys_error("seccomp: load the filter");
    return program.has_listener() ? sys::UniqueFd(static_cast<int>(rc)) : sys::UniqueFd();
}

}  // namespace hako::security
