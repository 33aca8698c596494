// The same fp32 matmul as `runner bench matmul`, straight against libtorch: the binding's yardstick.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <dlfcn.h>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(threads);  // as the binding does: libtorch's pool and OpenBLAS's own
  if (auto f = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(threads);
  auto g = at::detail::createCPUGenerator(0);
  auto a = at::randn({4096, 512}, g), b = at::randn({512, 8192}, g), c = at::empty({4096, 8192});
  for (int i = 0; i < 2; ++i) at::matmul_out(c, a, b);
  std::vector<double> ms;
  for (int i = 0; i < 10; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    at::matmul_out(c, a, b);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double median = (ms[4] + ms[5]) / 2;
  std::printf("{\"gflops\": %.2f, \"median_ms\": %.3f, \"threads\": %d}\n", 2.0 * 4096 * 512 * 8192 / (median / 1e3) / 1e9, median, threads);
}
