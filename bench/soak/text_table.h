// A plain text table with aligned columns, for the soak and fault reports.
#pragma once

#include <string>
#include <vector>

namespace sfu::soak {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns padded to their widest cell, two spaces apart; a rule under the header.
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "12.3" style numbers for the tables.
std::string fixed(double value, int decimals = 1);

}  // namespace sfu::soak
