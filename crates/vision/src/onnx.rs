//! Loading an ONNX file into tract and compiling one plan per input shape.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

use crate::VisionError;

type Plan = Arc<TypedRunnableModel<TypedModel>>;

/// An ONNX model with its compiled plans, keyed by input shape.
pub(crate) struct OnnxModel {
    name: &'static str,
    model: InferenceModel,
    plans: Mutex<HashMap<Vec<usize>, Plan>>,
}

impl OnnxModel {
    /// Loads `path`, dropping the graph's intermediate shape annotations
    /// (`value_info`): some exported models carry symbolic ones that tract
    /// cannot unify with a concrete input size, and tract infers them anyway.
    /// Symbolic input and output dimensions are renamed to identifiers tract
    /// parses (Paddle's exporter writes `p2o.DynamicDimension.0`).
    pub(crate) fn load(name: &'static str, path: &Path) -> Result<(OnnxModel, ModelProto), VisionError> {
        let load_error = |e: TractError| VisionError::Load { path: path.to_owned(), reason: format!("{e:#}") };
        let onnx = tract_onnx::onnx();
        let mut proto = onnx.proto_model_for_path(path).map_err(load_error)?;
        if let Some(graph) = proto.graph.as_mut() {
            graph.value_info.clear();
            for value in graph.input.iter_mut().chain(graph.output.iter_mut()) {
                rename_symbolic_dims(value);
            }
        }
        let model = onnx.model_for_proto_model(&proto).map_err(load_error)?;
        Ok((OnnxModel { name, model, plans: Mutex::new(HashMap::new()) }, proto))
    }

    /// Runs the model on one `f32` tensor of `shape` and returns its first
    /// output with that output's shape.
    pub(crate) fn run(&self, shape: &[usize], data: Vec<f32>) -> Result<(Vec<usize>, Vec<f32>), VisionError> {
        let fail = |e: TractError| VisionError::Inference { model: self.name, reason: format!("{e:#}") };
        let plan = self.plan(shape).map_err(fail)?;
        let input = tract_ndarray::ArrayD::from_shape_vec(shape, data)
            .map_err(|e| VisionError::Inference { model: self.name, reason: e.to_string() })?;
        let outputs = plan.run(tvec!(Tensor::from(input).into())).map_err(fail)?;
        let view = outputs[0].to_array_view::<f32>().map_err(fail)?;
        Ok((view.shape().to_vec(), view.iter().copied().collect()))
    }

    fn plan(&self, shape: &[usize]) -> TractResult<Plan> {
        if let Some(plan) = self.plans.lock().expect("plan cache poisoned").get(shape) {
            return Ok(plan.clone());
        }
        let plan = Arc::new(
            self.model.clone().with_input_fact(0, f32::fact(shape).into())?.into_optimized()?.into_runnable()?,
        );
        self.plans.lock().expect("plan cache poisoned").insert(shape.to_vec(), plan.clone());
        Ok(plan)
    }
}

/// Replaces every character of a symbolic dimension's name that is not a
/// letter, digit or underscore.
fn rename_symbolic_dims(value: &mut tract_onnx::pb::ValueInfoProto) {
    use tract_onnx::pb::tensor_shape_proto::dimension::Value;
    use tract_onnx::pb::type_proto::Value as Type;
    let Some(Type::TensorType(tensor)) = value.r#type.as_mut().and_then(|t| t.value.as_mut()) else { return };
    for dim in tensor.shape.iter_mut().flat_map(|s| s.dim.iter_mut()) {
        if let Some(Value::DimParam(name)) = dim.value.as_mut() {
            *name = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        }
    }
}
