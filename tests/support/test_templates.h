// Templates for tests that need a real render job: small, quick, and costing something per
// frame (a moving shape and a text whose words come from the input `name`).
#pragma once

#include <nlohmann/json.hpp>

namespace vg::testing {

// A `seconds`-long template at width × height and `fps`, draft quality.
nlohmann::json MovingShapeTemplate(int width, int height, double seconds, int fps = 30);

}  // namespace vg::testing
