// The shared test template.
#include "support/test_templates.h"

namespace vg::testing {

nlohmann::json MovingShapeTemplate(int width, int height, double seconds, int fps) {
  return {{"version", 1},
          {"output", {{"width", width}, {"height", height}, {"fps", fps}, {"quality", "draft"}}},
          {"duration", seconds},
          {"background", "#203040"},
          {"inputs", {{"name", {{"type", "string"}, {"default", "friend"}}}}},
          {"tracks",
           {{{"type", "shape"},
             {"clips",
              {{{"shape", "rect"},
                {"width", width / 4},
                {"height", height / 4},
                {"fill", "#ff8800"},
                {"animations",
                 {{{"property", "x"},
                   {"keyframes",
                    {{{"time", 0}, {"value", 0}}, {{"time", seconds}, {"value", width}}}}}}}}}}},
            {{"type", "text"},
             {"clips", {{{"text", "{{name}}"}, {"style", {{"fontSize", height / 5}}}}}}}}}};
}

}  // namespace vg::testing
