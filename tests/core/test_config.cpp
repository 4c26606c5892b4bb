// test_config.cpp: config keys parse, print and validate with clear errors.
#include <gtest/gtest.h>

#include <limits>

#include "core/config.h"

namespace rql {
namespace {

RqlConfig small() {
  RqlConfig c;
  c.obs_dim = 3;
  c.action_dim = 2;
  return c;
}

TEST(ConfigTest, DefaultsAreTheAuthors) {
  // docs/spec.md §6.
  const RqlConfig c;
  EXPECT_EQ(c.h, 3);
  EXPECT_EQ(c.alpha, 1.0);
  EXPECT_EQ(c.expectile, 0.5);
  EXPECT_EQ(c.ensemble_ct, 10);
  EXPECT_EQ(c.rho, 0.0);
  EXPECT_EQ(c.lr, 3e-4);
  EXPECT_EQ(c.discount, 0.99);
  EXPECT_EQ(c.batch_size, 256);
  EXPECT_EQ(c.actor_hidden_dims, (std::vector<int>{512, 512, 512, 512}));
  EXPECT_EQ(c.value_hidden_dims, (std::vector<int>{512, 512, 512, 512}));
  EXPECT_TRUE(c.layer_norm);
  EXPECT_FALSE(c.actor_layer_norm);
  EXPECT_EQ(c.tau, 0.005);
  EXPECT_EQ(c.ema, 0.999);
  EXPECT_EQ(c.flow_steps, 10);
  EXPECT_EQ(c.reversal, Reversal::kEuler);
}

TEST(ConfigTest, TextRoundTrips) {
  RqlConfig c = small();
  ASSERT_EQ(config_parse(c, "h=5\nalpha=0.3\nactor_hidden_dims=64, 32\nlayer_norm=false\nreversal=exact\n", "t"), "");
  RqlConfig d;
  ASSERT_EQ(config_parse(d, config_to_text(c), "t"), "");
  EXPECT_EQ(config_to_text(c), config_to_text(d));
  EXPECT_EQ(d.h, 5);
  EXPECT_EQ(d.alpha, 0.3);
  EXPECT_EQ(d.actor_hidden_dims, (std::vector<int>{64, 32}));
  EXPECT_FALSE(d.layer_norm);
  EXPECT_EQ(d.reversal, Reversal::kExact);
}

TEST(ConfigTest, ParseErrorsNameLineKeyAndExpectation) {
  RqlConfig c;
  const std::string e1 = config_parse(c, "h=3\n# comment\nalpha=abc\n", "cfg.txt");
  EXPECT_NE(e1.find("cfg.txt line 3"), std::string::npos) << e1;
  EXPECT_NE(e1.find("'alpha'"), std::string::npos) << e1;
  EXPECT_NE(e1.find("finite number"), std::string::npos) << e1;
  const std::string e2 = config_parse(c, "flowsteps=3\n", "cfg.txt");
  EXPECT_NE(e2.find("unknown key 'flowsteps'"), std::string::npos) << e2;
  EXPECT_NE(e2.find("flow_steps"), std::string::npos) << e2;  // the list of known keys helps
  EXPECT_NE(config_parse(c, "no equals sign\n", "f").find("expected key=value"), std::string::npos);
  EXPECT_NE(config_set(c, "actor_hidden_dims", "512,,512").find("comma-separated"), std::string::npos);
  EXPECT_NE(config_set(c, "layer_norm", "yes").find("true or false"), std::string::npos);
  EXPECT_NE(config_set(c, "h", "2.5").find("integer"), std::string::npos);
}

TEST(ConfigTest, ValidationRejectsImpossibleValues) {
  EXPECT_EQ(config_validate(small()), "");
  struct Case {
    const char* key;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"batch_size", "255", "batch_size must be even"}, {"h", "0", "h must be >= 1"},
      {"flow_steps", "0", "flow_steps must be >= 1"},   {"ensemble_ct", "0", "ensemble_ct must be >= 1"},
      {"expectile", "1", "expectile must be in (0, 1)"}, {"expectile", "0", "expectile must be in (0, 1)"},
      {"discount", "1.5", "discount must be in [0, 1]"}, {"lr", "0", "lr must be > 0"},
      {"rho", "-1", "rho must be >= 0"},                 {"tau", "2", "tau must be in [0, 1]"},
  };
  for (const Case& k : cases) {
    RqlConfig c = small();
    ASSERT_EQ(config_set(c, k.key, k.value), "") << k.key;
    EXPECT_NE(config_validate(c).find(k.message), std::string::npos) << k.key << "=" << k.value << ": "
                                                                      << config_validate(c);
  }
  RqlConfig c = small();
  c.actor_hidden_dims.clear();
  EXPECT_NE(config_validate(c).find("actor_hidden_dims"), std::string::npos);
  c = small();
  c.value_hidden_dims.clear();
  EXPECT_NE(config_validate(c).find("value_hidden_dims"), std::string::npos);
  c = small();
  c.obs_dim = 0;
  EXPECT_NE(config_validate(c).find("obs_dim"), std::string::npos);
}

TEST(ConfigTest, RejectsNulBytesInKeysAndValues) {
  // strtod would stop at the NUL and read "0.5\0junk" as 0.5.
  RqlConfig c = small();
  const std::string value("0.5\0junk", 8), key("lr\0x", 4);
  EXPECT_NE(config_set(c, "lr", value).find("NUL"), std::string::npos);
  EXPECT_NE(config_set(c, key, "0.5").find("NUL"), std::string::npos);
  EXPECT_EQ(c.lr, small().lr);  // unchanged
  const std::string text = std::string("alpha=0.5\n") + "h=2" + std::string(1, '\0') + "9\n";
  const std::string err = config_parse(c, text, "config.txt");
  EXPECT_NE(err.find("config.txt line 2"), std::string::npos) << err;
  EXPECT_NE(err.find("NUL"), std::string::npos) << err;
}

TEST(ConfigTest, ValidationRejectsNonFiniteNumbersSetInCode) {
  // The parser refuses "inf" and "nan"; a config built in code must be
  // refused too (inf would pass "lr > 0", NaN fails every comparison).
  for (const char* key : {"alpha", "expectile", "rho", "lr", "discount", "tau", "ema"})
    for (double bad : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN()}) {
      RqlConfig c = small();
      double* field = std::string(key) == "alpha"       ? &c.alpha
                      : std::string(key) == "expectile" ? &c.expectile
                      : std::string(key) == "rho"       ? &c.rho
                      : std::string(key) == "lr"        ? &c.lr
                      : std::string(key) == "discount"  ? &c.discount
                      : std::string(key) == "tau"       ? &c.tau
                                                        : &c.ema;
      *field = bad;
      const std::string err = config_validate(c);
      EXPECT_NE(err.find(std::string(key) + " must be a finite number"), std::string::npos) << key << ": " << err;
    }
}

}  // namespace
}  // namespace rql
