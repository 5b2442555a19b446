// SPDX-License-Identifier: Apache-2.0
// nca_bench.h - the bench harness the Verilator benches share (tb_core, tb_link, tb_units
// and the virtual board): a model with its own context, its clock, an optional VCD trace
// and plusargs.
//
// Usage: NcaBench<Vtop> b(argc, argv) (or b() where there are no plusargs); b.tick() runs one clock (falling then rising edge,
// the trace dumped at both) and counts it in b.cycle; b.trace_from_plusargs() opens the VCD
// named by +vcd=FILE when +trace is given and the build has TRACE=1 (b.trace_close() ends it). b.arg("steps") is the
// text of +steps=N ("" when absent), b.arg_ul("steps", 320) its number, b.flag("quiet")
// whether +quiet was given. The parameters of a build are not passed to the C++ again:
// the benches read them from the Verilated model (the tops mark them /*verilator public*/:
// Vnca_core_nca_core::LANES and the like).
#ifndef NCA_BENCH_H
#define NCA_BENCH_H

#include <verilated.h>
#if VM_TRACE
#include <verilated_vcd_c.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

template <class V> class NcaBench {
  public:
    VerilatedContext ctx;
    V *top;
    uint64_t cycle = 0;

    NcaBench() { top = new V{&ctx}; }
    NcaBench(int argc, char **argv)
    {
        ctx.commandArgs(argc, argv);
        top = new V{&ctx};
    }
    ~NcaBench()
    {
        top->final();
        trace_close();
        delete top;
    }
    NcaBench(const NcaBench &) = delete;
    NcaBench &operator=(const NcaBench &) = delete;

    void tick()
    {
        top->clk = 0;
        top->eval();
        dump();
        ctx.timeInc(1);
        top->clk = 1;
        top->eval();
        dump();
        ctx.timeInc(1);
        cycle++;
    }

    // +NAME=VALUE: VALUE; +NAME alone: "1"; absent: ""
    std::string arg(const char *name)
    {
        const char *v = ctx.commandArgsPlusMatch(name);
        if (!v || !*v)
            return "";
        v += 1 + strlen(name);
        return *v == '=' ? std::string(v + 1) : *v ? std::string() : std::string("1");
    }
    unsigned long arg_ul(const char *name, unsigned long dflt)
    {
        std::string v = arg(name);
        return v.empty() ? dflt : strtoul(v.c_str(), nullptr, 0);
    }
    bool flag(const char *name) { return !arg(name).empty(); }

    // a VCD of every signal from here on; false when it cannot be opened or the build has
    // no trace support (TRACE=1)
    bool trace_open(const char *path)
    {
#if VM_TRACE
        ctx.traceEverOn(true);
        vcd = new VerilatedVcdC;
        top->trace(vcd, 99);
        vcd->open(path);
        return vcd->isOpen();
#else
        (void)path;
        return false;
#endif
    }
    // +trace with +vcd=FILE: trace_open(FILE) where the build can trace
    bool trace_from_plusargs()
    {
#if VM_TRACE
        std::string path = arg("vcd");
        if (flag("trace") && !path.empty())
            return trace_open(path.c_str());
#endif
        return true;
    }

    // ends the VCD here (a bench that traces only its first clocks)
    void trace_close()
    {
#if VM_TRACE
        if (vcd) {
            vcd->close();
            delete vcd;
            vcd = nullptr;
        }
#endif
    }

  private:
#if VM_TRACE
    VerilatedVcdC *vcd = nullptr;
    void dump()
    {
        if (vcd)
            vcd->dump(ctx.time());
    }
#else
    void dump() {}
#endif
};

#endif
