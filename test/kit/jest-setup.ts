// The AWS SDK warns once per process that Node 20 support ends in 2027; the runtime image uses
// Node 22 (Dockerfile). Silence it in tests so real warnings stand out.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
