#include "accel/flow_record.h"

namespace bh::accel {

std::string Endpoint::toString() const {
  return ip.isV4() ? ip.toString() + ":" + std::to_string(port)
                   : "[" + ip.toString() + "]:" + std::to_string(port);
}

}  // namespace bh::accel
