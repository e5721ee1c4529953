// cxxprog.cc -- a C++ program calling the NV memory API from a namespaced class's
// overloaded members and a template: nvcheck report must show their demangled names.
// It leaves one unflushed write per overload; "@nv:" markers give the lines.
#include <nvmem.h>

#include <cstdio>
#include <cstring>
#include <sys/mman.h>

namespace pmlog {

class Log {
  public:
    explicit Log(char *base) : base_(base)
    {
        if (RtlGetNonVolatileToken(base_, 4096, &tok_) != STATUS_SUCCESS)
            tok_ = nullptr;
    }
    ~Log() { RtlFreeNonVolatileToken(tok_); }
    NTSTATUS status() const { return status_; }

    __attribute__((noinline)) void append(const char *s)
    {
        status_ = RtlWriteNonVolatileMemory(tok_, base_ + 64, (void *)s, std::strlen(s), 0); /* @nv:cxx-str */
    }
    __attribute__((noinline)) void append(int v)
    {
        status_ = RtlWriteNonVolatileMemory(tok_, base_ + 128, &v, sizeof v, 0); /* @nv:cxx-int */
    }
    template <typename T> __attribute__((noinline)) void put(const T &v)
    {
        status_ = RtlWriteNonVolatileMemory(tok_, base_ + 256, (void *)&v, sizeof v, 0); /* @nv:cxx-tmpl */
    }

  private:
    char *base_;
    PVOID tok_ = nullptr;
    NTSTATUS status_ = STATUS_SUCCESS; // stored after each call: no tail calls, so
                                       // every member keeps a frame of its own
};

} // namespace pmlog

int main()
{
    void *m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 99;
    pmlog::Log log(static_cast<char *>(m));
    log.append("hello");
    log.append(42);
    log.put(3.5);
    std::puts("cxxprog: done");
    return log.status() == STATUS_SUCCESS ? 0 : 1;
}
