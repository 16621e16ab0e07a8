#include "gradlab/io/csv.h"

#include <gtest/gtest.h>

#include "gradlab/error.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

TEST(Csv, ParsesHeaderAndNumbers) {
  const CsvTable t = parse_csv("a,\"b,c\",y\r\n1,2.5,0\n\n-3e2, 4 ,1\n", "t.csv");
  ASSERT_EQ(t.columns, (std::vector<std::string>{"a", "b,c", "y"}));
  ASSERT_EQ(t.rows(), 2);
  EXPECT_EQ(t.value(0, 1), 2.5);
  EXPECT_EQ(t.value(1, 0), -300.0);
  EXPECT_EQ(t.value(1, 1), 4.0);
  EXPECT_EQ(t.column_index("y"), 2);
}

TEST(Csv, OtherDelimiter) {
  const CsvTable t = parse_csv("a;b\n1;2\n", "t.csv", {.delimiter = ';'});
  EXPECT_EQ(t.value(0, 1), 2.0);
}

TEST(Csv, BadInputsNameFileLineAndColumn) {
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,x\n", "d.csv"); }), "d.csv:2: column 'b' (2): 'x' is not a number");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,2\n1,2,3\n", "d.csv"); }),
            "d.csv:3: row has more cells than the header's 2 columns");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1\n", "d.csv"); }), "d.csv:2: row has 1 cells but the header has 2 columns");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,nan\n", "d.csv"); }), "d.csv:2: column 'b' (2): 'nan' is not a number");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,inf\n", "d.csv"); }), "d.csv:2: column 'b' (2): 'inf' is not a number");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,1e999\n", "d.csv"); }),
            "d.csv:2: column 'b' (2): '1e999' is not a finite number");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,0x10\n", "d.csv"); }), "d.csv:2: column 'b' (2): '0x10' is not a number");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,\n", "d.csv"); }), "d.csv:2: column 'b' (2): empty cell");
  EXPECT_EQ(error_of([] { parse_csv("", "d.csv"); }), "d.csv: empty CSV file (expected a header row of column names)");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n\n", "d.csv"); }), "d.csv: CSV file has a header but no data rows");
  EXPECT_EQ(error_of([] { parse_csv("a,a\n1,2\n", "d.csv"); }), "d.csv:1: header: column name 'a' appears twice");
  EXPECT_EQ(error_of([] { parse_csv("a,,b\n1,2,3\n", "d.csv"); }), "d.csv:1: header: column 2 has no name");
  EXPECT_EQ(error_of([] { parse_csv("\"a,b\n1\n", "d.csv"); }), "d.csv:1: header: unterminated quoted column name");
  EXPECT_EQ(error_of([] { parse_csv(std::string("a\n1\0", 5), "d.csv"); }),
            "d.csv: contains a NUL byte; is this a text CSV file?");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,2\n", "d.csv").column_index("z"); }),
            "d.csv: no column 'z'; the columns are 'a', 'b'");
}

TEST(Csv, LimitsRefuseHugeInputBeforeStoringIt) {
  const CsvOptions small{.limits = {.max_bytes = 10}};
  EXPECT_EQ(error_of([&] { parse_csv("a,b\n1,2\n3,4\n", "d.csv", small); }),
            "d.csv: 12 bytes is more than the CSV limit of 10 bytes");
  const CsvOptions few_cells{.limits = {.max_cells = 3}};
  EXPECT_EQ(error_of([&] { parse_csv("a,b\n1,2\n3,4\n", "d.csv", few_cells); }),
            "d.csv:3: more than 3 cells; the table is too large for the CSV limit");
  const CsvOptions few_columns{.limits = {.max_columns = 1}};
  EXPECT_EQ(error_of([&] { parse_csv("a,b\n1,2\n", "d.csv", few_columns); }),
            "d.csv:1: 2 columns is more than the limit of 1");
}

TEST(Csv, MissingFileNamesIt) {
  EXPECT_NE(error_of([] { read_csv("/nonexistent/data.csv"); }).find("/nonexistent/data.csv: cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace gradlab
