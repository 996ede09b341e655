// The Catch2 (v2) main of the test binary, plus a listener that lets a ScratchDir know whether the
// test that made it failed.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "support/scratch_dir.hpp"

namespace {

class FailureCounter : public Catch::TestEventListenerBase
{
public:
  using TestEventListenerBase::TestEventListenerBase;

  bool assertionEnded(const Catch::AssertionStats& stats) override
  {
    if (!stats.assertionResult.isOk()) {
      dirsync::testing::note_assertion_failure();
    }
    return true;
  }
};

} // namespace

CATCH_REGISTER_LISTENER(FailureCounter)
