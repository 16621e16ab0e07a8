# The lesson's cells In [192]-[194] typed with gradlab in place of tf: they must give the very numbers
# the C++ program with the same cells gives (same default generator, same draws, same library).
import gradlab
import numpy as np


def test_the_three_skip_connection_cells_match_the_cpp_program(cpp_lesson_norms):
    gradlab.random.set_seed(0)
    norms = []

    # In [192]: no skip or residual connections
    inputs = gradlab.random.uniform((32, 128))
    layer1 = gradlab.layers.Dense(32, activation="relu")
    layer2 = gradlab.layers.Dense(32, activation="relu")
    layer3 = gradlab.layers.Dense(32, activation="relu")
    layer4 = gradlab.layers.Dense(32, activation="relu")
    with gradlab.GradientTape() as tape:
        tape.watch(inputs)
        layer1_out = layer1(inputs)
        layer2_out = layer2(layer1_out)
        layer3_out = layer3(layer2_out)
        layer4_out = layer4(layer3_out)
        mean = gradlab.reduce_mean(layer4_out)
    norms.append(gradlab.norm(tape.gradient(mean, inputs), ord="euclidean"))

    # In [193]: residual connections
    inputs = gradlab.random.uniform((32, 128))
    layer1 = gradlab.layers.Dense(32, activation="relu")
    layer2 = gradlab.layers.Dense(32, activation="relu")
    layer3 = gradlab.layers.Dense(32, activation="relu")
    layer4 = gradlab.layers.Dense(32, activation="relu")
    with gradlab.GradientTape() as tape:
        tape.watch(inputs)
        layer1_out = layer1(inputs)
        layer2_out = layer2(layer1_out)
        layer3_out = layer3(layer2_out + layer1_out)  # residual connection
        layer4_out = layer4(layer3_out + layer2_out)  # residual connection
        mean = gradlab.reduce_mean(layer4_out)
    norms.append(gradlab.norm(tape.gradient(mean, inputs), ord="euclidean"))

    # In [194]: concatenated skip connections
    inputs = gradlab.random.uniform((32, 128))
    layer1 = gradlab.layers.Dense(32, activation="relu")
    layer2 = gradlab.layers.Dense(32, activation="relu")
    layer3 = gradlab.layers.Dense(32, activation="relu")
    layer4 = gradlab.layers.Dense(32, activation="relu")
    with gradlab.GradientTape() as tape:
        tape.watch(inputs)
        layer1_out = layer1(inputs)
        layer2_out = layer2(gradlab.concat([layer1_out, inputs], axis=-1))
        layer3_out = layer3(gradlab.concat([layer2_out, layer1_out, inputs], axis=-1))
        layer4_out = layer4(gradlab.concat([layer3_out, layer2_out, layer1_out], axis=-1))
        mean = gradlab.reduce_mean(layer4_out)
    norms.append(gradlab.norm(tape.gradient(mean, inputs), ord="euclidean"))

    assert [format(float(n), ".9g") for n in norms] == cpp_lesson_norms


def test_the_initializer_cells_give_the_variances_he_and_glorot_promise():
    # In [15]/[16]: He-Uniform's variance is 2 / n_inputs, Glorot-Uniform's 2 / (n_inputs + n_outputs).
    # Seeded; the sample variance of 320 (12,800) draws has a standard deviation near 5% (1.3%) of the
    # expected value, so 25% is over 4 standard deviations away.
    gradlab.random.set_seed(15)
    for make, fan_in, units, expected in [
        (gradlab.initializers.HeUniform, 10, 32, 2 / 10),
        (gradlab.initializers.HeUniform, 100, 128, 2 / 100),
        (gradlab.initializers.GlorotUniform, 10, 32, 2 / (10 + 32)),
        (gradlab.initializers.GlorotUniform, 100, 128, 2 / (100 + 128)),
    ]:
        tensor = gradlab.random.uniform((32, fan_in))
        layer = gradlab.layers.Dense(units, kernel_initializer=make())
        layer(tensor)
        variance = layer.trainable_variables[0].numpy().var()
        assert abs(variance - expected) < 0.25 * expected, (make, fan_in, variance, expected)
