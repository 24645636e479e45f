#version 300 es
// One triangle pair covering the canvas; the fragment shader does all the work.
in vec2 a_position;

void main() {
  gl_Position = vec4(a_position, 0.0, 1.0);
}
