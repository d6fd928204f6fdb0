#include "security/seccomp_enosys.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

#include "sys/error.hpp"

namespace hako::security {
namespace {

constexpr std::uint32_t kX32SyscallBit = 0x40000000;
// On s390 a syscall number the kernel does not know reaches the filter as 0 (setup(2), long
// gone), so it must be ENOSYS too.
constexpr std::uint32_t kS390Multiplexer = 0;
constexpr std::uint32_t kOffsetNr = offsetof(seccomp_data, nr);
constexpr std::uint32_t kOffsetArch = offsetof(seccomp_data, arch);

std::uint32_t audit_arch_of(std::uint32_t scmp_arch) {
    // SCMP_ARCH_X32 is libseccomp's own token; the kernel reports x32 as x86_64.
    return scmp_arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : scmp_arch;
}

// Assembles forward jumps to labels placed later; classic BPF only jumps forward.
class StubAssembler {
public:
    using Label = std::size_t;

    Label new_label() {
        label_positions_.push_back(kUnplaced);
        return label_positions_.size() - 1;
    }
    void place(Label label) { label_positions_[label] = code_.size(); }

    void load_word(std::uint32_t offset) {
        emit({static_cast<std::uint16_t>(BPF_LD | BPF_W | BPF_ABS), 0, 0, offset}, {}, {});
    }
    void ret(std::uint32_t value) {
        emit({static_cast<std::uint16_t>(BPF_RET | BPF_K), 0, 0, value}, {}, {});
    }
    void jump_always(Label target) {
        emit({static_cast<std::uint16_t>(BPF_JMP | BPF_JA), 0, 0, 0}, {}, {}, target);
    }
    // An unset target means the next instruction.
    void jump_if(std::uint16_t condition, std::uint32_t value, std::optional<Label> if_true,
                 std::optional<Label> if_false) {
        emit({static_cast<std::uint16_t>(BPF_JMP | condition | BPF_K), 0, 0, value}, if_true,
             if_false);
    }

    std::vector<sock_filter> finish() {
        std::vector<sock_filter> program;
        program.reserve(code_.size());
        for (std::size_t pc = 0; pc < code_.size(); ++pc) {
            sock_filter insn = code_[pc].insn;
            if (code_[pc].always) insn.k = offset(pc, *code_[pc].always);
            if (code_[pc].if_true) insn.jt = short_offset(pc, *code_[pc].if_true);
            if (code_[pc].if_false) insn.jf = short_offset(pc, *code_[pc].if_false);
            program.push_back(insn);
        }
        return program;
    }

private:
    static constexpr std::size_t kUnplaced = static_cast<std::size_t>(-1);

    struct Pending {
        sock_filter insn;
        std::optional<Label> if_true, if_false, always;
    };

    void emit(sock_filter insn, std::optional<Label> if_true, std::optional<Label> if_false,
              std::optional<Label> always = {}) {
        code_.push_back({insn, if_true, if_false, always});
    }

    std::uint32_t offset(std::size_t pc, Label label) const {
        const std::size_t target = label_positions_[label];
        // The filter label sits one past the stub's last instruction.
        if (target == kUnplaced || target <= pc) fail("seccomp: ENOSYS stub: bad jump at {}", pc);
        return static_cast<std::uint32_t>(target - pc - 1);
    }
    std::uint8_t short_offset(std::size_t pc, Label label) const {
        const std::uint32_t distance = offset(pc, label);
        // A conditional jump reaches 255 instructions; the stub is a handful per architecture.
        if (distance > 255) fail("seccomp: ENOSYS stub: jump of {} at {} is too long", distance, pc);
        return static_cast<std::uint8_t>(distance);
    }

    std::vector<Pending> code_;
    std::vector<std::size_t> label_positions_;
};

void emit_section(StubAssembler& as, const ArchCutoff& cutoff, StubAssembler::Label enosys,
                  StubAssembler::Label filter) {
    as.load_word(kOffsetNr);
    if (cutoff.audit_arch == AUDIT_ARCH_S390 || cutoff.audit_arch == AUDIT_ARCH_S390X)
        as.jump_if(BPF_JEQ, kS390Multiplexer, enosys, {});
    if (cutoff.audit_arch != AUDIT_ARCH_X86_64) {
        as.jump_if(BPF_JGT, *cutoff.last, enosys, filter);
        return;
    }
    if (cutoff.last && cutoff.last_x32) {
        const auto x32 = as.new_label();
        as.jump_if(BPF_JSET, kX32SyscallBit, x32, {});
        as.jump_if(BPF_JGT, *cutoff.last, enosys, filter);
        as.place(x32);
        as.jump_if(BPF_JGT, *cutoff.last_x32, enosys, filter);
    } else if (cutoff.last) {
        // An x32 call: the profile has no bound for it; libseccomp's filter decides.
        as.jump_if(BPF_JSET, kX32SyscallBit, filter, {});
        as.jump_if(BPF_JGT, *cutoff.last, enosys, filter);
    } else {
        as.jump_if(BPF_JSET, kX32SyscallBit, {}, filter);
        as.jump_if(BPF_JGT, *cutoff.last_x32, enosys, filter);
    }
}

}  // namespace

bool needs_enosys_stub(const SeccompProfile& profile) {
    switch (profile.default_action) {
        case SeccompAction::allow:
        case SeccompAction::log:
        case SeccompAction::trace:
            return false;
        case SeccompAction::errno_code:
            return profile.default_errno_ret.value_or(EPERM) != ENOSYS;
        default:
            return true;
    }
}

std::vector<ArchCutoff> find_syscall_cutoffs(const SeccompProfile& profile,
                                             std::uint32_t native_arch) {
    std::vector<std::uint32_t> arches{native_arch};
    for (std::uint32_t arch : profile.architectures)
        if (std::find(arches.begin(), arches.end(), arch) == arches.end()) arches.push_back(arch);

    std::vector<ArchCutoff> cutoffs;
    for (std::uint32_t arch : arches) {
        std::optional<std::uint32_t> last;
        for (const SeccompRule& rule : profile.syscalls) {
            for (const std::string& name : rule.names) {
                // Negative: unknown, or a pseudo number for a syscall this arch lacks.
                const int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
                if (nr < 0) continue;
                last = std::max(last.value_or(0), static_cast<std::uint32_t>(nr));
            }
        }
        if (!last) continue;
        const std::uint32_t audit_arch = audit_arch_of(arch);
        auto it = std::find_if(cutoffs.begin(), cutoffs.end(),
                               [&](const ArchCutoff& c) { return c.audit_arch == audit_arch; });
        if (it == cutoffs.end()) {
            cutoffs.push_back({audit_arch, {}, {}});
            it = cutoffs.end() - 1;
        }
        (arch == SCMP_ARCH_X32 ? it->last_x32 : it->last) = last;
    }
    return cutoffs;
}

std::vector<sock_filter> make_enosys_stub(const std::vector<ArchCutoff>& cutoffs) {
    if (cutoffs.empty()) return {};
    StubAssembler as;
    const auto enosys = as.new_label();
    const auto filter = as.new_label();
    std::vector<StubAssembler::Label> sections;
    for (std::size_t i = 0; i < cutoffs.size(); ++i) sections.push_back(as.new_label());

    as.load_word(kOffsetArch);
    for (std::size_t i = 0; i < cutoffs.size(); ++i)
        as.jump_if(BPF_JEQ, cutoffs[i].audit_arch, sections[i], {});
    as.jump_always(filter);
    for (std::size_t i = 0; i < cutoffs.size(); ++i) {
        as.place(sections[i]);
        emit_section(as, cutoffs[i], enosys, filter);
    }
    as.place(enosys);
    as.ret(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    as.place(filter);
    return as.finish();
}

}  // namespace hako::security
